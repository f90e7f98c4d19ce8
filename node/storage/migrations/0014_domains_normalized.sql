-- Domains are stored normalized (lower case, no trailing dot, no port) and match their
-- subdomains: an older entry like 'Example.ORG.' or 'example.org:8443' becomes 'example.org'.
CREATE TEMP TABLE normalized_blocks ON COMMIT DROP AS
    SELECT DISTINCT rtrim(lower(split_part(host, ':', 1)), '.') AS host, min(created_at) AS created_at
      FROM domain_blocks GROUP BY 1;
DELETE FROM domain_blocks;
INSERT INTO domain_blocks (host, created_at) SELECT host, created_at FROM normalized_blocks WHERE host <> '';
CREATE TEMP TABLE normalized_allows ON COMMIT DROP AS
    SELECT DISTINCT rtrim(lower(split_part(host, ':', 1)), '.') AS host, min(created_at) AS created_at
      FROM domain_allows GROUP BY 1;
DELETE FROM domain_allows;
INSERT INTO domain_allows (host, created_at) SELECT host, created_at FROM normalized_allows WHERE host <> '';
