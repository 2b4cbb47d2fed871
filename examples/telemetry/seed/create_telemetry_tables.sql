-- The seed's hand-written test schema (tests/test_telemetry_system.py, create_telemetry_tables()).
-- "This replicates the schema from Alembic migrations." It does not: compare it with the migrations.

CREATE TABLE IF NOT EXISTS http_error_summary (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    host TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    error_type TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen TIMESTAMP NOT NULL,
    UNIQUE(host, status_code)  -- Added
);

CREATE TABLE IF NOT EXISTS extraction_telemetry_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_id TEXT NOT NULL,
    article_id TEXT,
    url TEXT NOT NULL,
    publisher TEXT,
    host TEXT,
    start_time TIMESTAMP NOT NULL,
    end_time TIMESTAMP,
    total_duration_ms REAL,
    successful_method TEXT,
    is_success BOOLEAN NOT NULL,
    http_status_code INTEGER,
    http_error_type TEXT,
    response_size_bytes INTEGER,
    has_title BOOLEAN DEFAULT 0,
    has_author BOOLEAN DEFAULT 0,
    has_content BOOLEAN DEFAULT 0,
    has_publish_date BOOLEAN DEFAULT 0,
    error_message TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS extraction_method_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_id TEXT NOT NULL,
    method TEXT NOT NULL,
    publisher TEXT,
    success BOOLEAN NOT NULL,
    duration_ms REAL,
    error_type TEXT,
    has_title BOOLEAN DEFAULT 0,
    has_author BOOLEAN DEFAULT 0,
    has_content BOOLEAN DEFAULT 0,
    has_publish_date BOOLEAN DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_telemetry_publisher ON extraction_telemetry_v2(publisher);
