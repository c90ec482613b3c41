-- name: status_codes
-- description: Hits per HTTP status code
-- merge: sum by status; order by status
SELECT status, count(*) AS hits
FROM access_logs
GROUP BY status
ORDER BY status
