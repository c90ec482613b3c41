-- name: access_summary
-- description: Hits, unique visitors, bandwidth, distinct paths, 404s and 5xx over the range
-- column: unique_visitors: distinct (client_ip, date, user_agent) among requests not answered 4xx, as GoAccess counts them
-- column: bandwidth: bytes sent in responses ("-" counts as 0)
-- column: unique_paths: distinct paths requested, query strings removed
-- column: not_found_hits: requests answered 404
-- column: error_hits: requests answered 5xx
-- merge: sum; distinct unique_paths of path
SELECT
    count(*) AS hits,
    count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors,
    coalesce(sum(bytes), 0)::BIGINT AS bandwidth,
    count(DISTINCT path) AS unique_paths,
    count(*) FILTER (WHERE status = 404) AS not_found_hits,
    count(*) FILTER (WHERE status BETWEEN 500 AND 599) AS error_hits
FROM access_logs
