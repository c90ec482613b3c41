-- description: reads another tenant's file directly
SELECT client_ip, path FROM read_parquet('company_id=1691/date=2025-04-01/gen-3.parquet')