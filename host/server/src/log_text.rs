//! Text someone else wrote (an agent's host name, a refused item's message, a user or
//! plugin name) as the log shows it: escaped and cut, so a newline cannot forge a log
//! line, an escape sequence cannot repaint the operator's terminal, a bidirectional
//! override cannot reorder what they read, and a megabyte-long name costs one short line.

use std::fmt;

/// The most characters of one untrusted value a log line shows.
const MAX_CHARS: usize = 200;

/// `text` for a log field: `tracing::warn!(hostname = %untrusted(&name), …)`.
pub(crate) fn untrusted(text: &str) -> Untrusted<'_> {
    Untrusted(text)
}

/// Displays its text with control and bidirectional-formatting characters escaped
/// (`\n`, `\u{1b}`, `\u{202e}`) and anything past [`MAX_CHARS`] replaced by a count.
pub(crate) struct Untrusted<'a>(&'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(MAX_CHARS) {
            if c.is_control() || is_bidi_control(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        let rest = chars.count();
        if rest > 0 {
            write!(f, "…(+{rest} characters)")?;
        }
        Ok(())
    }
}

/// The characters that change the direction text is shown in (Unicode's Bidi_Control).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::untrusted;

    #[test]
    fn a_newline_escape_or_override_is_shown_escaped() {
        let forged = "printer\n2026-12-06T00:00:00Z  WARN forged line\u{1b}[2J\u{202e}txt";
        let shown = untrusted(forged).to_string();
        assert!(!shown.contains('\n') && !shown.contains('\u{1b}') && !shown.contains('\u{202e}'));
        assert_eq!(
            shown,
            "printer\\n2026-12-06T00:00:00Z  WARN forged line\\u{1b}[2J\\u{202e}txt"
        );
    }

    #[test]
    fn a_long_value_is_cut_saying_how_much_is_left_out() {
        let long = "é".repeat(1_000_000);
        let shown = untrusted(&long).to_string();
        assert_eq!(shown, format!("{}…(+999800 characters)", "é".repeat(200)));
        assert_eq!(untrusted("short").to_string(), "short");
    }
}
