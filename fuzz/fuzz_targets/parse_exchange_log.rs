//! Any text handed to the exchange-log reader (`*.exchanges.jsonl`, which
//! `quire record` writes and `quire replay`, the agent's upload and the
//! strategy harness read): no panic, every non-blank line is either an
//! exchange or a problem naming that line, and the exchanges written back
//! with `to_line` read back as the same exchanges with no problem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_plugins_sdk::exchange_log::{self, Exchange};

fuzz_target!(|text: &str| {
    let (exchanges, problems) = exchange_log::parse(text);
    let lines: Vec<&str> = text.lines().collect();
    let filled = lines.iter().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(exchanges.len() + problems.len(), filled);
    for (line, why) in &problems {
        assert!(!lines[line - 1].trim().is_empty(), "line {line}: {why}");
    }
    let written: String = exchanges.iter().map(|e| e.to_line() + "\n").collect();
    assert_eq!(written.lines().count(), exchanges.len(), "{written}");
    assert_eq!(
        exchange_log::parse(&written),
        (exchanges.clone(), Vec::new())
    );
    for exchange in &exchanges {
        assert_eq!(
            Exchange::from_line(&exchange.to_line()).as_ref(),
            Ok(exchange)
        );
    }
});
