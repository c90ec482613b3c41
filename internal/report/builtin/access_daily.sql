-- name: access_daily
-- description: Hits, unique visitors and bandwidth per day
SELECT
    date,
    count(*) AS hits,
    count(DISTINCT (client_ip, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors,
    coalesce(sum(bytes), 0)::BIGINT AS bandwidth
FROM access_logs
GROUP BY date
ORDER BY date
