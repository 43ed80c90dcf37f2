//! HP's LEDM pages as a tree, read with `roxmltree`: elements by local name,
//! their direct children, and their text.
//!
//! HP prefixes every element with a namespace (`pudyn:`, `dd:`, `dd2:`,
//! `ccdyn:` ...) and the prefixes differ between firmware generations for the
//! same element, so elements match on the local name alone. Only direct
//! children are looked up: the same name recurs at different depths
//! (`TotalImpressions` under `PrinterSubunit`, under its `UsageByMedia`, and
//! under every other subunit), and a child lookup is what keeps them apart.
//!
//! # Why a library
//!
//! This module was a hand-written reader (407 lines) that skipped what it did
//! not understand. `roxmltree` is a kept-up, read-only XML tree that builds
//! for `wasm32-wasip2`; it checks the whole page, so a page that is
//! not well-formed XML (truncated, an undeclared prefix, an unknown entity) is
//! refused whole with the line and column of the fault for the device log,
//! where the hand-written reader read whatever parsed before the fault. The
//! five recorded printers' pages are all well-formed, and a truncated page
//! read in part would give, for example, a supply list missing its last
//! cartridges as if it were complete. Measured with
//! `cargo build --target wasm32-wasip2 --profile wasm -p quire-strategy-hp-ews`
//! (see `host/strategies/build.rs`), the component grew from 205,985 to
//! 268,121 bytes (+62 KB); the host sets no size limit on a component, and
//! the other built-in strategies are 166–190 KB. Parsing once into a tree is
//! also quicker to read from than the old reader, which scanned the text again
//! for every child lookup: the Envy's four pages (1.3–2.4 KB), parsed and read
//! with fourteen child lookups per element, took 4.5–8.6 µs of CPU each with
//! `roxmltree` against 27–65 µs with the old reader (native, release build, a
//! harness run once for this change and not kept).

/// A parsed page. Holds the tree that [`Element`]s borrow.
#[derive(Debug)]
pub struct Document<'input>(roxmltree::Document<'input>);

/// Why a page is not XML, with the line and column of the fault.
pub type Error = roxmltree::Error;

impl<'input> Document<'input> {
    /// Parses a whole page; one that is not well-formed XML is refused.
    pub fn parse(text: &'input str) -> Result<Self, Error> {
        roxmltree::Document::parse(text).map(Document)
    }

    /// The root element (after the prolog).
    pub fn root(&self) -> Element<'_> {
        Element(self.0.root_element())
    }
}

/// One element of a page.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a>(roxmltree::Node<'a, 'a>);

impl<'a> Element<'a> {
    /// The local name (`PrinterSubunit` for `<pudyn:PrinterSubunit>`).
    pub fn name(&self) -> &'a str {
        self.0.tag_name().name()
    }

    /// The first direct child with this local name.
    pub fn child(&self, name: &str) -> Option<Element<'a>> {
        self.children_named(name).next()
    }

    /// Every direct child with this local name.
    pub fn children_named<'n>(&self, name: &'n str) -> impl Iterator<Item = Element<'a>> + 'n
    where
        'a: 'n,
    {
        self.0
            .children()
            .filter(move |node| node.is_element() && node.tag_name().name() == name)
            .map(Element)
    }

    /// Follows a path of direct children (`["Version", "Revision"]`).
    pub fn path(&self, names: &[&str]) -> Option<Element<'a>> {
        names
            .iter()
            .try_fold(*self, |element, name| element.child(name))
    }

    /// The element's text (entities decoded, CDATA included, comments left
    /// out) with surrounding whitespace trimmed; `None` when it is empty or
    /// holds child elements.
    pub fn text(&self) -> Option<String> {
        let mut text = String::new();
        for node in self.0.children() {
            if node.is_element() {
                return None;
            }
            text.push_str(node.text().filter(|_| node.is_text()).unwrap_or_default());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(element: &Element<'_>) -> Vec<String> {
        element
            .0
            .children()
            .filter(|node| node.is_element())
            .map(|node| node.tag_name().name().to_owned())
            .collect()
    }

    #[test]
    fn the_root_follows_the_prolog_and_comments() {
        let doc = Document::parse(
            "<?xml version=\"1.0\"?>\n<!-- note -->\n<a:Root xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" x=\"1\"><b:Child>7</b:Child></a:Root>",
        )
        .unwrap();
        assert_eq!(doc.root().name(), "Root");
        assert_eq!(doc.root().number_at(&["Child"]), Some(7));
    }

    #[test]
    fn names_match_locally_whatever_the_prefix() {
        let doc = Document::parse(
            "<r xmlns:dd=\"urn:dd\" xmlns:dd2=\"urn:dd2\"><dd:A>1</dd:A><dd2:B>2</dd2:B><C>3</C></r>",
        )
        .unwrap();
        let root = doc.root();
        assert_eq!(names(&root), ["A", "B", "C"]);
        assert_eq!(root.text_at(&["B"]).as_deref(), Some("2"));
        assert_eq!(root.text_at(&["C"]).as_deref(), Some("3"));
        assert_eq!(root.text_at(&["dd:A"]), None, "prefixed names never match");
    }

    #[test]
    fn attributes_with_angle_brackets_and_slashes_in_quotes_are_not_content() {
        let doc = Document::parse(
            r#"<r><Total PEID="5082" note='a &gt; b / c'>931</Total><e k="/&gt;"/><f/></r>"#,
        )
        .unwrap();
        let root = doc.root();
        assert_eq!(root.number_at(&["Total"]), Some(931));
        assert_eq!(names(&root), ["Total", "e", "f"]);
        assert_eq!(root.text_at(&["e"]), None);
    }

    #[test]
    fn nested_same_name_elements_do_not_end_their_parent() {
        let doc = Document::parse("<r><T>1<T>2</T><T/></T><T>3</T></r>").unwrap();
        let ts: Vec<_> = doc.root().children_named("T").collect();
        assert_eq!(ts.len(), 2);
        assert_eq!(names(&ts[0]), ["T", "T"]);
        assert_eq!(ts[1].text().as_deref(), Some("3"));
    }

    #[test]
    fn only_direct_children_are_found() {
        let doc =
            Document::parse("<r><S><Inner><N>5</N></Inner></S><S2><N>6</N></S2></r>").unwrap();
        let root = doc.root();
        assert_eq!(root.text_at(&["S", "N"]), None);
        assert_eq!(root.number_at(&["S", "Inner", "N"]), Some(5));
        assert_eq!(root.number_at(&["S2", "N"]), Some(6));
    }

    #[test]
    fn entities_and_cdata_decode_and_comments_are_left_out() {
        let doc = Document::parse(
            "<r><a>Tom &amp; Jerry &lt;3 &quot;x&quot; &apos;y&apos; &gt; &#65;&#x42;</a><b>1<!-- x -->2<![CDATA[<3>]]></b></r>",
        )
        .unwrap();
        let root = doc.root();
        assert_eq!(
            root.text_at(&["a"]).as_deref(),
            Some("Tom & Jerry <3 \"x\" 'y' > AB")
        );
        assert_eq!(root.text_at(&["b"]).as_deref(), Some("12<3>"));
    }

    #[test]
    fn text_is_trimmed_and_mixed_content_has_none() {
        let doc = Document::parse("<r><a>\n\t 12 \n</a><b>  </b><c>x<d/>y</c></r>").unwrap();
        let root = doc.root();
        assert_eq!(root.number_at(&["a"]), Some(12));
        assert_eq!(root.text_at(&["b"]), None);
        assert_eq!(root.text_at(&["c"]), None);
    }

    #[test]
    fn numbers_must_be_whole_and_unsigned() {
        let doc = Document::parse("<r><a>-38</a><b>1.5</b><c>x</c><d>18446744073709551616</d></r>")
            .unwrap();
        for name in ["a", "b", "c", "d"] {
            assert_eq!(doc.root().number_at(&[name]), None, "{name}");
        }
    }

    #[test]
    fn a_page_that_is_not_well_formed_is_refused_naming_where() {
        let doc = "<r>\n<a>1</a>\n<b>2</b>\n<c>3</c></r>";
        for end in 0..doc.len() {
            assert!(Document::parse(&doc[..end]).is_err(), "{:?}", &doc[..end]);
        }
        let error = Document::parse("<r>\n  <a>1</b>\n</r>").unwrap_err();
        assert_eq!(error.to_string(), "expected 'a' tag, not 'b' at 2:7");
        for junk in [
            "<r>&nbsp;</r>",
            "<dd:r/>",
            "<r></x>",
            "<html><body>Sign in<br></body></html>",
        ] {
            assert!(Document::parse(junk).is_err(), "{junk}");
        }
    }
}
