-- name: hourly
-- description: Hits and unique visitors per hour of day, in the deployment's report time zone
-- column: hour: hour of day (0–23) in LAMBDUCK_TIMEZONE
-- column: unique_visitors: distinct (client_ip, date, user_agent) among requests not answered 4xx, as GoAccess counts them
-- merge: sum by hour; order by hour
SELECT
    hour(ts) AS hour,
    count(*) AS hits,
    count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors
FROM access_logs
GROUP BY hour
ORDER BY hour
