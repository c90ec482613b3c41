-- name: access_daily
-- description: Hits, unique visitors and bandwidth per day
-- column: date: the day in LAMBDUCK_TIMEZONE
-- column: unique_visitors: distinct (client_ip, date, user_agent) among requests not answered 4xx, as GoAccess counts them
-- column: bandwidth: bytes sent in responses ("-" counts as 0)
-- merge: sum by date; order by date
SELECT
    date,
    count(*) AS hits,
    count(DISTINCT (client_ip, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors,
    coalesce(sum(bytes), 0)::BIGINT AS bandwidth
FROM access_logs
GROUP BY date
ORDER BY date
