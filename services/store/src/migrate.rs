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
pub(crate) const CONTROL_POSTGRES: &[Migration] = &[Migration {
    version: 1,
    name: "0001_control",
    sql: include_str!("../migrations/control/postgres/0001_control.sql"),
}];

/// Tenant-schema migrations (PostgreSQL), in order.
pub(crate) const TENANT_POSTGRES: &[Migration] = &[Migration {
    version: 1,
    name: "0001_identity",
    sql: include_str!("../migrations/tenant/postgres/0001_identity.sql"),
}];

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
        for m in CONTROL_POSTGRES.iter().chain(TENANT_POSTGRES) {
            let parts = statements(m.sql);
            assert!(!parts.is_empty(), "{}", m.name);
            for stmt in parts {
                assert!(!stmt.contains(';'), "{}: {stmt}", m.name);
            }
        }
        for list in [CONTROL_POSTGRES, TENANT_POSTGRES] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1, "{}", m.name);
            }
        }
    }
}
