//! Database URLs: which backend they name, and how to show them without the password.

/// The backend a URL names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// A SQLite file at this path.
    Sqlite(&'a str),
    /// A PostgreSQL server; the URL is passed on whole.
    Postgres,
}

/// Reads `sqlite:///path`, `sqlite:path`, a bare path, or `postgres(ql)://…`.
/// Anything else with a scheme is refused, so a typo is not taken for a file name.
pub(crate) fn target(url: &str) -> Option<Target<'_>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Target::Postgres)
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        (!path.is_empty()).then_some(Target::Sqlite(path))
    } else if url.contains("://") || url.is_empty() {
        None
    } else {
        Some(Target::Sqlite(url))
    }
}

/// The URL with any password replaced by `***`, for errors and logs.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..authority_start],
        &userinfo[..colon],
        &url[authority_start + at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_and_nothing_else() {
        assert_eq!(
            redact("postgres://quire:s3cret@db:5432/quire?sslmode=require"),
            "postgres://quire:***@db:5432/quire?sslmode=require"
        );
        assert_eq!(
            redact("postgres://quire@db/quire"),
            "postgres://quire@db/quire"
        );
        assert_eq!(
            redact("sqlite:///var/lib/quire.db"),
            "sqlite:///var/lib/quire.db"
        );
        assert_eq!(redact("postgres://u:p@ss@h/d"), "postgres://u:***@h/d");
    }

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            target("sqlite:///tmp/q.db"),
            Some(Target::Sqlite("/tmp/q.db"))
        );
        assert_eq!(target("sqlite:q.db"), Some(Target::Sqlite("q.db")));
        assert_eq!(target("/tmp/q.db"), Some(Target::Sqlite("/tmp/q.db")));
        assert_eq!(target("postgresql://h/d"), Some(Target::Postgres));
        assert_eq!(target("mysql://h/d"), None);
        assert_eq!(target("sqlite://"), None);
    }
}
