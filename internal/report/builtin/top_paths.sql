-- name: top_paths
-- description: Most requested paths in the range
-- param: limit integer default 20 min 1 max 1000000
SELECT
    path,
    count(*) AS hits,
    count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors,
    coalesce(sum(bytes), 0)::BIGINT AS bandwidth
FROM access_logs
GROUP BY path
ORDER BY hits DESC, path
LIMIT $limit
