-- name: top_paths
-- description: Most requested paths in the range
-- column: unique_visitors: distinct (client_ip, date, user_agent) among requests not answered 4xx, as GoAccess counts them
-- column: bandwidth: bytes sent in responses ("-" counts as 0)
-- param: limit integer default 20 min 1 max 1000000
-- merge: sum by path; order by hits desc, path; limit $limit
SELECT
    path,
    count(*) AS hits,
    count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors,
    coalesce(sum(bytes), 0)::BIGINT AS bandwidth
FROM access_logs
GROUP BY path
ORDER BY hits DESC, path
LIMIT $limit
