//! Just enough XML to read HP's LEDM pages, without a dependency in the
//! guest: elements by local name, their direct children, and their text.
//!
//! HP prefixes every element with a namespace (`pudyn:`, `dd:`, `dd2:`,
//! `ccdyn:` ...) and the prefixes differ between firmware generations for the
//! same element, so elements match on the local name alone. Only direct
//! children are looked up: the same name recurs at different depths
//! (`TotalImpressions` under `PrinterSubunit`, under its `UsageByMedia`, and
//! under every other subunit), and a child lookup is what keeps them apart.
//!
//! Malformed or truncated input never panics: an element whose end is missing
//! is simply not found, and what parsed before it still reads. Comments,
//! processing instructions, DOCTYPEs and CDATA sections are skipped.

/// One element of a document: its local name and the raw text between its
/// start and end tags (empty for a self-closing tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    name: &'a str,
    inner: &'a str,
}

impl<'a> Element<'a> {
    /// The local name (`PrinterSubunit` for `<pudyn:PrinterSubunit>`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The first direct child with this local name.
    pub fn child(&self, name: &str) -> Option<Element<'a>> {
        Children { rest: self.inner }.find(|e| e.name == name)
    }

    /// Every direct child with this local name.
    pub fn children_named<'n>(&self, name: &'n str) -> impl Iterator<Item = Element<'a>> + 'n
    where
        'a: 'n,
    {
        Children { rest: self.inner }.filter(move |e| e.name == name)
    }

    /// Follows a path of direct children (`["Version", "Revision"]`).
    pub fn path(&self, names: &[&str]) -> Option<Element<'a>> {
        names
            .iter()
            .try_fold(*self, |element, name| element.child(name))
    }

    /// The element's text with entities decoded and surrounding whitespace
    /// trimmed; `None` when it is empty or holds child elements.
    pub fn text(&self) -> Option<String> {
        if self.inner.contains('<') {
            return None;
        }
        let text = decode(self.inner);
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// The text of the child at `names`, see [`Element::text`].
    pub fn text_at(&self, names: &[&str]) -> Option<String> {
        self.path(names)?.text()
    }

    /// The child at `names` as a whole number, `None` unless it is one.
    pub fn number_at(&self, names: &[&str]) -> Option<u64> {
        self.text_at(names)?.parse().ok()
    }
}

/// The document's root element: the first element after the prolog.
pub fn root(document: &str) -> Option<Element<'_>> {
    Children { rest: document }.next()
}

/// The top-level elements of a piece of content, one at a time. Stops at the
/// first element whose end cannot be found.
struct Children<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Children<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        loop {
            let at = self.rest.find('<')?;
            let tag = &self.rest[at..];
            if let Some(skip) = markup_len(tag) {
                self.rest = &tag[skip..];
                continue;
            }
            let Some(start) = start_tag(tag) else {
                // A stray end tag or a broken start tag: nothing after it can be trusted.
                self.rest = "";
                return None;
            };
            let body = &tag[start.len..];
            if start.self_closing {
                self.rest = body;
                return Some(Element {
                    name: start.name,
                    inner: "",
                });
            }
            let Some((inner_len, end_len)) = content_len(body) else {
                self.rest = "";
                return None;
            };
            self.rest = &body[inner_len + end_len..];
            return Some(Element {
                name: start.name,
                inner: &body[..inner_len],
            });
        }
    }
}

/// The length of a comment, processing instruction, CDATA section or
/// declaration at the start of `tag`; `None` when `tag` is not one of those.
/// An unterminated one runs to the end of the input.
fn markup_len(tag: &str) -> Option<usize> {
    let (open, close) = if tag.starts_with("<!--") {
        ("<!--", "-->")
    } else if tag.starts_with("<![CDATA[") {
        ("<![CDATA[", "]]>")
    } else if tag.starts_with("<?") {
        ("<?", "?>")
    } else if tag.starts_with("<!") {
        ("<!", ">")
    } else {
        return None;
    };
    Some(
        tag[open.len()..]
            .find(close)
            .map_or(tag.len(), |end| open.len() + end + close.len()),
    )
}

struct StartTag<'a> {
    name: &'a str,
    len: usize,
    self_closing: bool,
}

/// Parses a start tag at the start of `tag`, attributes skipped (quoted values
/// may hold `>` and `/`). `None` for an end tag or an unterminated tag.
fn start_tag(tag: &str) -> Option<StartTag<'_>> {
    let after = tag.strip_prefix('<')?;
    if after.starts_with('/') {
        return None;
    }
    let name_len = after
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(after.len());
    let qualified = &after[..name_len];
    if qualified.is_empty() {
        return None;
    }
    let mut quote = None;
    for (i, c) in after[name_len..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                let end = name_len + i;
                return Some(StartTag {
                    name: local(qualified),
                    len: 1 + end + 1,
                    self_closing: after[..end].ends_with('/'),
                });
            }
            (None, _) => {}
        }
    }
    None
}

/// How far the content of an open element runs in `body` (which starts just
/// after its start tag), and how long its end tag is. Nested elements of any
/// name are counted, so a same-name child does not end its parent.
fn content_len(body: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut at = 0usize;
    loop {
        let tag_at = at + body[at..].find('<')?;
        let tag = &body[tag_at..];
        if let Some(skip) = markup_len(tag) {
            at = tag_at + skip;
        } else if let Some(rest) = tag.strip_prefix("</") {
            let end = rest.find('>')?;
            if depth == 0 {
                return Some((tag_at, 2 + end + 1));
            }
            depth -= 1;
            at = tag_at + 2 + end + 1;
        } else {
            let start = start_tag(tag)?;
            if !start.self_closing {
                depth += 1;
            }
            at = tag_at + start.len;
        }
    }
}

/// `pudyn:PrinterSubunit` → `PrinterSubunit`.
fn local(qualified: &str) -> &str {
    qualified.rsplit(':').next().unwrap_or(qualified)
}

/// Decodes the five predefined entities and numeric character references;
/// anything else is left as written.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let entity = &rest[at..];
        let decoded = entity.find(';').and_then(|end| {
            let name = &entity[1..end];
            let c = match name {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &entity[len..];
            }
            None => {
                out.push('&');
                rest = &entity[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn children<'a>(element: &Element<'a>) -> Vec<Element<'a>> {
        Children {
            rest: element.inner,
        }
        .collect()
    }

    fn names(elements: &[Element<'_>]) -> Vec<String> {
        elements.iter().map(|e| e.name().to_owned()).collect()
    }

    #[test]
    fn the_root_follows_the_prolog_and_comments() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- note -->\n<!DOCTYPE x>\n<a:Root x=\"1\"><b:Child>7</b:Child></a:Root>";
        let root = root(doc).unwrap();
        assert_eq!(root.name(), "Root");
        assert_eq!(root.number_at(&["Child"]), Some(7));
    }

    #[test]
    fn names_match_locally_whatever_the_prefix() {
        let doc = "<r><dd:A>1</dd:A><dd2:B>2</dd2:B><C>3</C></r>";
        let root = root(doc).unwrap();
        assert_eq!(names(&children(&root)), ["A", "B", "C"]);
        assert_eq!(root.text_at(&["B"]).as_deref(), Some("2"));
        assert_eq!(root.text_at(&["C"]).as_deref(), Some("3"));
        assert_eq!(root.text_at(&["dd:A"]), None, "prefixed names never match");
    }

    #[test]
    fn attributes_are_skipped_even_with_angle_brackets_and_slashes_in_quotes() {
        let doc = r#"<r><dd:Total PEID="5082" note='a > b / c'>931</dd:Total><e k="/>"/><f/></r>"#;
        let root = root(doc).unwrap();
        assert_eq!(root.number_at(&["Total"]), Some(931));
        assert_eq!(names(&children(&root)), ["Total", "e", "f"]);
        assert_eq!(root.text_at(&["e"]), None);
    }

    #[test]
    fn self_closing_tags_are_empty_elements() {
        let doc = "<r><a/><a /><b>x</b></r>";
        let root = root(doc).unwrap();
        assert_eq!(names(&children(&root)), ["a", "a", "b"]);
        assert_eq!(root.child("a").unwrap().text(), None);
        assert_eq!(root.text_at(&["b"]).as_deref(), Some("x"));
    }

    #[test]
    fn nested_same_name_elements_do_not_end_their_parent() {
        let doc = "<r><T>1<T>2</T><T/></T><T>3</T></r>";
        let root = root(doc).unwrap();
        let ts: Vec<_> = root.children_named("T").collect();
        assert_eq!(ts.len(), 2);
        assert_eq!(children(&ts[0]).len(), 2);
        assert_eq!(ts[1].text().as_deref(), Some("3"));
    }

    #[test]
    fn only_direct_children_are_found() {
        let doc = "<r><S><Inner><N>5</N></Inner></S><S2><N>6</N></S2></r>";
        let root = root(doc).unwrap();
        assert_eq!(root.text_at(&["S", "N"]), None);
        assert_eq!(root.number_at(&["S", "Inner", "N"]), Some(5));
        assert_eq!(root.number_at(&["S2", "N"]), Some(6));
    }

    #[test]
    fn entities_decode_and_unknown_ones_stay() {
        let doc = "<r><a>Tom &amp; Jerry &lt;3 &quot;x&quot; &apos;y&apos; &gt; &#65;&#x42; &nbsp; &amp</a></r>";
        assert_eq!(
            root(doc).unwrap().text_at(&["a"]).as_deref(),
            Some("Tom & Jerry <3 \"x\" 'y' > AB &nbsp; &amp")
        );
        assert_eq!(decode("&#xFFFFFFFF; &#; &"), "&#xFFFFFFFF; &#; &");
    }

    #[test]
    fn text_is_trimmed_and_mixed_content_has_none() {
        let doc = "<r><a>\n\t 12 \n</a><b>  </b><c>x<d/>y</c></r>";
        let root = root(doc).unwrap();
        assert_eq!(root.number_at(&["a"]), Some(12));
        assert_eq!(root.text_at(&["b"]), None);
        assert_eq!(root.text_at(&["c"]), None);
    }

    #[test]
    fn comments_and_cdata_inside_content_are_skipped() {
        let doc = "<r><!-- <a>9</a> --><![CDATA[<a>8</a>]]><a>7</a></r>";
        let root = root(doc).unwrap();
        assert_eq!(names(&children(&root)), ["a"]);
        assert_eq!(root.number_at(&["a"]), Some(7));
    }

    #[test]
    fn numbers_must_be_whole_and_unsigned() {
        let doc = "<r><a>-38</a><b>1.5</b><c>x</c><d>18446744073709551616</d></r>";
        let root = root(doc).unwrap();
        for name in ["a", "b", "c", "d"] {
            assert_eq!(root.number_at(&[name]), None, "{name}");
        }
    }

    #[test]
    fn truncated_input_keeps_what_parsed_and_never_panics() {
        let doc = "<r><a>1</a><b>2</b><c>3</c></r>";
        for end in 0..=doc.len() {
            let cut = &doc[..end];
            if let Some(r) = root(cut) {
                let _ = children(&r);
            }
        }
        let cut = "<r><a>1</a><b>2</b><c>3";
        assert_eq!(root(cut), None, "the root's end is missing");
        // Inside an element whose own end is present, a later broken child
        // costs only itself and what follows.
        let inner = Element {
            name: "r",
            inner: "<a>1</a><b>2</b><c>3",
        };
        assert_eq!(names(&children(&inner)), ["a", "b"]);
        for junk in [
            "<",
            "</",
            "<>",
            "<a",
            "<a x=\"",
            "<!--",
            "<![CDATA[",
            "<?",
            "</r>",
            "<a></b>",
            "&",
            "<é>ü</é>",
        ] {
            let _ = root(junk).map(|r| children(&r));
        }
        assert_eq!(root("<é:ü>x</é:ü>").unwrap().name(), "ü");
    }

    #[test]
    fn a_stray_end_tag_stops_the_walk() {
        let element = Element {
            name: "r",
            inner: "<a>1</a></x><b>2</b>",
        };
        assert_eq!(names(&children(&element)), ["a"]);
    }
}
