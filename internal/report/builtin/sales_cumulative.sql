-- name: sales_cumulative
-- description: The seed's sample: three days of sales with their running total
WITH sales(date, amount) AS (
    VALUES ('2024-01-01', 1000), ('2024-01-02', 1500), ('2024-01-03', 2000)
)
SELECT date, amount, CAST(sum(amount) OVER (ORDER BY date) AS BIGINT) AS cumulative_sum
FROM sales
ORDER BY date
