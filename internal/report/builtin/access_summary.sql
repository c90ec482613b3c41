-- name: access_summary
-- description: Hits, unique visitors, bandwidth, distinct paths, 404s and 5xx over the range
-- A unique visitor is a distinct (client_ip, date, user_agent) among non-4xx requests (GoAccess's default).
SELECT
    count(*) AS hits,
    count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors,
    coalesce(sum(bytes), 0)::BIGINT AS bandwidth,
    count(DISTINCT path) AS unique_paths,
    count(*) FILTER (WHERE status = 404) AS not_found_hits,
    count(*) FILTER (WHERE status BETWEEN 500 AND 599) AS error_hits
FROM access_logs
