-- name: status_codes
-- description: Hits per HTTP status code
SELECT status, count(*) AS hits
FROM access_logs
GROUP BY status
ORDER BY status
