-- name: referrers
-- description: Referring URLs, most frequent first (requests without a referrer are left out)
-- param: limit integer default 50 min 1 max 1000000
-- merge: sum by referrer; order by hits desc, referrer; limit $limit
SELECT referrer, count(*) AS hits
FROM access_logs
WHERE referrer IS NOT NULL
GROUP BY referrer
ORDER BY hits DESC, referrer
LIMIT $limit
