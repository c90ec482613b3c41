-- name: hello
-- description: The seed's smoke test: one greeting row, no data read
SELECT 'hello' AS greeting, 123 AS number
