//! Embedded migrations and the statement splitter our runner uses.
//!
//! Both schemas run through our own runner, one statement per round trip:
//! Citus rejects `CREATE INDEX` inside a multi-statement query string, which
//! is how sqlx's migrator would send a whole file.

/// One forward-only migration.
pub(crate) struct Migration {
    /// Monotonic version, from the file name.
    pub version: i32,
    /// File name, for logs.
    pub name: &'static str,
    /// The file's text.
    pub sql: &'static str,
}

/// Control-schema migrations (PostgreSQL), in order.
pub(crate) const CONTROL_POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_control",
        sql: include_str!("../migrations/control/postgres/0001_control.sql"),
    },
    Migration {
        version: 2,
        name: "0002_job_hints",
        sql: include_str!("../migrations/control/postgres/0002_job_hints.sql"),
    },
    Migration {
        version: 3,
        name: "0003_job_hint_versions",
        sql: include_str!("../migrations/control/postgres/0003_job_hint_versions.sql"),
    },
];

/// Tenant-schema migrations (PostgreSQL), in order.
pub(crate) const TENANT_POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_identity",
        sql: include_str!("../migrations/tenant/postgres/0001_identity.sql"),
    },
    Migration {
        version: 2,
        name: "0002_lifecycle_jobs_logs",
        sql: include_str!("../migrations/tenant/postgres/0002_lifecycle_jobs_logs.sql"),
    },
    Migration {
        version: 3,
        name: "0003_organizations_mapping",
        sql: include_str!("../migrations/tenant/postgres/0003_organizations_mapping.sql"),
    },
];

/// Control-database migrations (SQLite), in order; the same versions as PostgreSQL's.
pub(crate) const CONTROL_SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_control",
        sql: include_str!("../migrations/control/sqlite/0001_control.sql"),
    },
    Migration {
        version: 2,
        name: "0002_job_hints",
        sql: include_str!("../migrations/control/sqlite/0002_job_hints.sql"),
    },
    Migration {
        version: 3,
        name: "0003_job_hint_versions",
        sql: include_str!("../migrations/control/sqlite/0003_job_hint_versions.sql"),
    },
];

/// Tenant-database migrations (SQLite), in order; the same versions as PostgreSQL's.
pub(crate) const TENANT_SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_identity",
        sql: include_str!("../migrations/tenant/sqlite/0001_identity.sql"),
    },
    Migration {
        version: 2,
        name: "0002_lifecycle_jobs_logs",
        sql: include_str!("../migrations/tenant/sqlite/0002_lifecycle_jobs_logs.sql"),
    },
    Migration {
        version: 3,
        name: "0003_organizations_mapping",
        sql: include_str!("../migrations/tenant/sqlite/0003_organizations_mapping.sql"),
    },
];

/// The newest tenant version; a tenant recorded below it is migrated at startup.
pub(crate) const TENANT_SCHEMA_VERSION: i32 = TENANT_POSTGRES.len() as i32;

/// The migrations in `all` newer than `applied`.
pub(crate) fn pending(
    all: &'static [Migration],
    applied: i32,
) -> impl Iterator<Item = &'static Migration> {
    all.iter().filter(move |m| m.version > applied)
}

/// Splits a migration file into statements. Our files keep one statement per
/// `;`-terminated line group and no `;` inside literals or bodies, which the
/// tests below hold them to.
pub(crate) fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let code = line.split("--").next().unwrap_or_default();
        if code.trim().is_empty() {
            continue;
        }
        current.push_str(code);
        current.push('\n');
        if code.trim_end().ends_with(';') {
            out.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_terminated_lines_and_drops_comments() {
        let sql = "-- head\nCREATE TABLE a (\n  x int -- why\n);\nCREATE INDEX i ON a (x);\n";
        assert_eq!(
            statements(sql),
            vec!["CREATE TABLE a (\n  x int \n)", "CREATE INDEX i ON a (x)"]
        );
    }

    #[test]
    fn every_embedded_statement_is_single() {
        let all = [
            CONTROL_POSTGRES,
            TENANT_POSTGRES,
            CONTROL_SQLITE,
            TENANT_SQLITE,
        ];
        for m in all.iter().flat_map(|list| list.iter()) {
            let parts = statements(m.sql);
            assert!(!parts.is_empty(), "{}", m.name);
            for stmt in parts {
                assert!(!stmt.contains(';'), "{}: {stmt}", m.name);
            }
        }
        for list in all {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1, "{}", m.name);
            }
        }
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        for (pg, lite) in [
            (CONTROL_POSTGRES, CONTROL_SQLITE),
            (TENANT_POSTGRES, TENANT_SQLITE),
        ] {
            let names = |list: &[Migration]| list.iter().map(|m| m.name).collect::<Vec<_>>();
            assert_eq!(names(pg), names(lite));
        }
        assert_eq!(TENANT_SCHEMA_VERSION as usize, TENANT_SQLITE.len());
    }
}
