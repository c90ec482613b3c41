package gen

// daySQL makes one company-day of traffic. Each row's randomness is
// hash(seed, company, day, row, salt); a visitor (IP and user agent) is drawn
// from a per-company pool with a skew, so some visitors come back across days
// and make many requests, as real ones do. Timestamps rise with the row
// number, so files come out sorted by ts without a sort.
const daySQL = `
WITH r AS (
    SELECT
        i,
        hash($seed, $company, $day, i, 'u') % 1000000 / 1000000.0 AS u_visitor,
        hash($seed, $company, $day, i, 'p') % 1000000 / 1000000.0 AS u_path,
        hash($seed, $company, $day, i, 's') % 1000000 / 1000000.0 AS u_status,
        hash($seed, $company, $day, i, 'x') AS hx
    FROM range($n) t(i)
),
v AS (
    SELECT *,
        floor($pool * u_visitor * u_visitor)::BIGINT AS visitor,
        CASE
            WHEN u_status < 0.80 THEN 200
            WHEN u_status < 0.86 THEN 304
            WHEN u_status < 0.88 THEN 301
            WHEN u_status < 0.89 THEN 302
            WHEN u_status < 0.955 THEN 404
            WHEN u_status < 0.965 THEN 403
            WHEN u_status < 0.985 THEN 500
            ELSE 503
        END::SMALLINT AS status
    FROM r
),
w AS (
    SELECT *,
        hash($seed, $company, 'visitor', visitor) AS hv,
        CASE WHEN status = 404
            THEN ['/wp-login.php', '/.env', '/old-page.html', '/favicon.ico', '/blog/2019/lost-post',
                  '/images/missing.png', '/api/v0/users', '/ない', '/admin/config.php',
                  '/robots.txt.bak'][1 + (hx % 10)::INT]
            ELSE ['/', '/index.html', '/products', '/products/duckdb-in-lambda', '/pricing', '/about',
                  '/blog', '/blog/2025/04/parquet-on-s3', '/blog/2025/03/lambda-cold-starts',
                  '/docs/getting-started', '/docs/reports', '/docs/api', '/api/v1/reports',
                  '/api/v1/health', '/static/app.js', '/static/app.css', '/static/logo.svg',
                  '/images/hero.webp', '/contact', '/careers', '/blog/2025/02/日本語の記事',
                  '/search', '/login', '/logout', '/signup', '/support', '/status', '/terms',
                  '/privacy', '/feed.xml'][1 + floor(30 * u_path * u_path)::INT]
        END AS path
    FROM v
)
SELECT
    make_timestamp($from_us + i * $step_us + ((hx >> 20) % $step_us::UBIGINT)::BIGINT)::TIMESTAMPTZ AS ts,
    CASE WHEN hv % 100 < 6
        THEN printf('2001:db8:%x:%x::%x', (hv >> 16) & 65535, (hv >> 32) & 65535, hv & 65535)
        ELSE printf('%d.%d.%d.%d', ((hv >> 8) % 223) + 1, (hv >> 16) & 255, (hv >> 24) & 255, ((hv >> 32) % 254) + 1)
    END AS client_ip,
    CASE WHEN (hx >> 8) % 100 < 90 THEN 'GET' WHEN (hx >> 8) % 100 < 98 THEN 'POST' ELSE 'HEAD' END AS method,
    path,
    CASE WHEN (hx >> 12) % 100 < 15
        THEN ['utm_source=newsletter&utm_medium=email', 'page=2', 'q=duckdb+lambda', 'ref=hn', 'lang=ja'][1 + ((hx >> 16) % 5)::INT]
    END AS query,
    CASE WHEN (hx >> 24) % 10 < 7 THEN 'HTTP/1.1' ELSE 'HTTP/2.0' END AS protocol,
    status,
    CASE
        WHEN status = 304 THEN 0
        WHEN status IN (301, 302) THEN 180 + (hx >> 28) % 60
        WHEN status >= 400 THEN 150 + (hx >> 28) % 400
        ELSE 512 + (hash($seed, path) % 60000) + (hx >> 28) % 4096
    END::BIGINT AS bytes,
    CASE WHEN (hx >> 32) % 100 < 45 THEN NULL
        ELSE ['https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/',
              'https://news.ycombinator.com/', 'https://t.co/abc123', 'https://www.reddit.com/r/dataengineering/',
              'https://example.com/blog', 'https://github.com/duckdb/duckdb', 'https://qiita.com/',
              'https://zenn.dev/'][1 + ((hx >> 36) % 10)::INT]
    END AS referrer,
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
     'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
     'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
     'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
     'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
     'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
     'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
     'curl/8.5.0',
     'python-requests/2.31.0',
     'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
     'Go-http-client/2.0',
     'Mozilla/5.0 (compatible; "quoted" agent/1.0)'][1 + ((hv >> 40) % 12)::INT] AS user_agent,
    'www.company-' || $company || '.example' AS host,
    round(1 + ((hx >> 40) % 10000) / 10000.0 * ((hx >> 44) % 400), 3)::DOUBLE AS request_time_ms,
    'gen' AS source
FROM w
`
