//! The README's code blocks, as the tests that keep it true read them: the
//! `quire` unit tests parse every command in it with the real argument
//! parser, and the `readme` integration test runs the blocks marked for it.
//! Compiled only into tests (the binary's own and, by `#[path]`, the
//! integration test), so both read the README one way.
//!
//! A block is marked by an HTML comment on the line before its fence, which
//! GitHub does not show: `<!-- readme-test: walkthrough -->` (run the block
//! as one shell script), `<!-- readme-test: output -->` (the block is the
//! exact output of the last command of the shell block before it) or
//! `<!-- readme-test: output-shape -->` (the same, for output that differs
//! from run to run: its lines' labels, in order). Unmarked blocks that are
//! not shell are figures the benchmarks measured (their commands print them
//! again) or code for plugin authors (compiled by the SDK's doctests).

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// One fenced code block of the README.
#[derive(Debug, Clone)]
pub struct Block {
    /// The first word of the fence's info string (`sh`, `json`, or empty).
    pub language: String,
    /// The marker of the comment just before the fence, if any.
    pub marker: Option<String>,
    pub text: String,
    /// 1-based line of the opening fence, for messages.
    pub line: usize,
}

const MARKER: &str = "<!-- readme-test:";

/// Every fenced code block of `markdown`, in order.
pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let line = markdown[..range.start].lines().count() + 1;
                current = Some(Block {
                    language: info.split_whitespace().next().unwrap_or("").to_owned(),
                    marker: marker_before(markdown, range.start),
                    text: String::new(),
                    line,
                });
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.text.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => found.extend(current.take()),
            _ => {}
        }
    }
    found
}

/// The marker of a `<!-- readme-test: ... -->` comment on the line that ends
/// just before `at`.
fn marker_before(markdown: &str, at: usize) -> Option<String> {
    let before = markdown[..at].trim_end_matches([' ', '\n']);
    let last = before.lines().last()?.trim();
    let inner = last.strip_prefix(MARKER)?.strip_suffix("-->")?;
    Some(inner.trim().to_owned())
}

/// The commands of a shell block: comments dropped, `\\` continuations
/// joined, empty lines skipped; each with the README line it starts on. An
/// indented line that opens with `[` or `-` continues the command above it,
/// as a wrapped usage synopsis does.
pub fn commands(block: &Block) -> Vec<(usize, String)> {
    let mut commands: Vec<(usize, String)> = Vec::new();
    let mut continues = false;
    for (i, raw) in block.text.lines().enumerate() {
        let line = block.line + 1 + i;
        let text = strip_comment(raw);
        let (text, next_continues) = match text.trim_end().strip_suffix('\\') {
            Some(head) => (head.trim().to_owned(), true),
            None => (text.trim().to_owned(), false),
        };
        let wrapped = raw.starts_with([' ', '\t']) && text.starts_with(['[', '-']);
        match commands.last_mut() {
            Some((_, command)) if (continues || wrapped) && !text.is_empty() => {
                command.push(' ');
                command.push_str(&text);
            }
            _ if !text.is_empty() => commands.push((line, text)),
            _ => {}
        }
        continues = next_continues;
    }
    commands
}

/// A shell line without its `# comment`; a `#` inside quotes or a word stays.
fn strip_comment(line: &str) -> String {
    let (mut single, mut double) = (false, false);
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && previous.is_whitespace() => {
                return line[..i].to_owned();
            }
            _ => {}
        }
        previous = c;
    }
    line.to_owned()
}
