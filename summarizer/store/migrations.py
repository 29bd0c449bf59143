"""The store's schema as numbered migrations: a store at version N has had the first N applied."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: initial layout
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL DEFAULT 'running',
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        model_sha256 TEXT,
        prompt_sha256 TEXT NOT NULL,
        schema_version TEXT NOT NULL,
        temperature REAL,
        seed INTEGER,
        max_reasks INTEGER,
        docs_ok INTEGER DEFAULT 0,
        docs_rejected INTEGER DEFAULT 0,
        docs_failed INTEGER DEFAULT 0,
        docs_skipped INTEGER DEFAULT 0,
        findings INTEGER DEFAULT 0,
        prompt_tokens INTEGER DEFAULT 0,
        completion_tokens INTEGER DEFAULT 0,
        seconds REAL
    );
    CREATE TABLE papers (
        id INTEGER PRIMARY KEY,
        result_key TEXT NOT NULL UNIQUE,
        run_id INTEGER REFERENCES runs(id),
        doc_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        path TEXT,
        model TEXT NOT NULL,
        prompt_sha256 TEXT NOT NULL,
        schema_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
        error TEXT,
        title TEXT, doi TEXT, pmid TEXT, year INTEGER, journal TEXT,
        summary TEXT,
        paper_json TEXT,
        source_text TEXT NOT NULL,
        prompt_tokens INTEGER, completion_tokens INTEGER, reasks INTEGER, seconds REAL,
        created_at REAL NOT NULL
    );
    CREATE INDEX papers_sha ON papers(sha256);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        factor TEXT NOT NULL, factor_type TEXT, alteration TEXT,
        therapy TEXT NOT NULL, therapy_class TEXT, cancer_type TEXT,
        effect TEXT NOT NULL, role TEXT, mechanism TEXT,
        finding_json TEXT NOT NULL
    );
    CREATE INDEX findings_factor ON findings(factor);
    CREATE TABLE rejections (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER REFERENCES papers(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id),
        doc_id TEXT, path TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('finding', 'paper', 'source', 'failure')),
        reason TEXT NOT NULL,
        payload_json TEXT,
        created_at REAL NOT NULL
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER REFERENCES papers(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id),
        doc_id TEXT,
        attempt INTEGER,
        request_json TEXT, response_json TEXT, error TEXT,
        seconds REAL, prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER,
        server_ms REAL,
        created_at REAL NOT NULL
    );
    """,
    # 2: which turn a call was (extraction or the direction re-check), so re-asks count right
    """
    ALTER TABLE calls ADD COLUMN purpose TEXT NOT NULL DEFAULT 'extract';
    """,
    # 3: registry ids and normalised names of factor, therapy and cancer (normalize.py); NULL for
    # findings stored before, or without a normalisation index
    """
    ALTER TABLE findings ADD COLUMN factor_id TEXT;
    ALTER TABLE findings ADD COLUMN factor_norm TEXT;
    ALTER TABLE findings ADD COLUMN therapy_id TEXT;
    ALTER TABLE findings ADD COLUMN therapy_norm TEXT;
    ALTER TABLE findings ADD COLUMN cancer_id TEXT;
    ALTER TABLE findings ADD COLUMN cancer_norm TEXT;
    CREATE INDEX findings_factor_id ON findings(factor_id);
    """,
    # 4: runs sharing a store: who is running where (to tell a live run from a dead one), and
    # which run is summarizing which result now (so two runs never ask the model for the same)
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat_at REAL;
    CREATE TABLE claims (
        result_key TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        claimed_at REAL NOT NULL
    );
    """,
    # 5: the decision stage's confidence of each finding (NULL for findings stored before it)
    """
    ALTER TABLE findings ADD COLUMN confidence REAL;
    CREATE INDEX findings_confidence ON findings(confidence);
    """,
    # 6: people's review decisions (summarizer review, curation.py), kept apart from the machine's
    # findings: a re-run replaces paper and findings rows, never these. A curation is anchored on
    # the document (doc_id) and the finding's identity (normalised factor, therapy, cancer, role),
    # not on a row id; every decision is appended to `decisions` with who, when, before and after.
    """
    CREATE TABLE curations (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL,
        anchor TEXT NOT NULL,
        fid TEXT NOT NULL UNIQUE,
        identity TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('machine', 'added', 'promoted')),
        state TEXT NOT NULL CHECK (state IN ('accepted', 'rejected', 'corrected', 'added', 'promoted')),
        finding_json TEXT NOT NULL,
        machine_json TEXT,
        reason TEXT,
        note TEXT,
        version INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (doc_id, anchor)
    );
    CREATE INDEX curations_doc ON curations(doc_id);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        curation_id INTEGER NOT NULL REFERENCES curations(id),
        doc_id TEXT NOT NULL,
        fid TEXT NOT NULL,
        paper_id INTEGER,
        result_key TEXT,
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct', 'add', 'promote')),
        reason TEXT,
        note TEXT,
        who TEXT NOT NULL,
        at REAL NOT NULL,
        version INTEGER NOT NULL,
        before_json TEXT,
        after_json TEXT NOT NULL
    );
    CREATE INDEX decisions_doc ON decisions(doc_id);
    CREATE INDEX papers_doc ON papers(doc_id, status);
    CREATE INDEX findings_paper ON findings(paper_id);
    """,
]
