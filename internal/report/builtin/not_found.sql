-- name: not_found
-- description: Paths answered with 404, most frequent first
-- param: limit integer default 100 min 1 max 1000000
-- merge: sum by path; order by hits desc, path; limit $limit
SELECT path, count(*) AS hits
FROM access_logs
WHERE status = 404
GROUP BY path
ORDER BY hits DESC, path
LIMIT $limit
