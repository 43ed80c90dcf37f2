use std::fmt;
use std::str::FromStr;

/// A numeric object identifier. Ordering is SNMP's: arc by arc, numerically,
/// so `1.3.6.1.2` < `1.3.6.1.10` (a string sort would get this wrong).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(Vec<u32>);

/// Why text is not an OID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a numeric OID: {0:?}")]
pub struct OidParseError(pub String);

impl Oid {
    /// An OID from its arcs.
    pub fn new(arcs: impl Into<Vec<u32>>) -> Self {
        Oid(arcs.into())
    }

    /// The arcs.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// Whether `self` lies in the subtree rooted at `root` (a node is in its own subtree).
    pub fn starts_with(&self, root: &Oid) -> bool {
        self.0.starts_with(&root.0)
    }

    /// This OID with one more arc: a table column plus an index, say.
    pub fn child(&self, arc: u32) -> Oid {
        let mut arcs = self.0.clone();
        arcs.push(arc);
        Oid(arcs)
    }
}

impl From<Vec<u32>> for Oid {
    fn from(arcs: Vec<u32>) -> Self {
        Oid(arcs)
    }
}

impl From<&[u32]> for Oid {
    fn from(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }
}

impl From<Oid> for Vec<u32> {
    fn from(oid: Oid) -> Self {
        oid.0
    }
}

impl FromStr for Oid {
    type Err = OidParseError;

    /// Dotted decimal, with or without a leading dot (`.1.3.6.1` and `1.3.6.1`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.strip_prefix('.').unwrap_or(s);
        if body.is_empty() {
            return Err(OidParseError(s.to_owned()));
        }
        body.split('.')
            .map(|arc| arc.parse::<u32>().map_err(|_| OidParseError(s.to_owned())))
            .collect::<Result<Vec<_>, _>>()
            .map(Oid)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numerically_arc_by_arc() {
        let a: Oid = "1.3.6.1.2".parse().unwrap();
        let b: Oid = "1.3.6.1.10".parse().unwrap();
        let c: Oid = "1.3.6.1.2.1".parse().unwrap();
        assert!(a < c && c < b);
    }

    #[test]
    fn accepts_a_leading_dot_and_rejects_junk() {
        assert_eq!(".1.3.6".parse::<Oid>().unwrap(), Oid::new(vec![1, 3, 6]));
        assert!("1..3".parse::<Oid>().is_err());
        assert!("".parse::<Oid>().is_err());
        assert!("1.3.x".parse::<Oid>().is_err());
    }
}
