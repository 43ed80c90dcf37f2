//! The IPP message encoding (RFC 8010 section 3): the two requests Quire sends
//! (Get-Printer-Attributes, CUPS-Get-Printers), and a decoder for any response
//! that never panics and names the byte offset where a message stops making
//! sense.
//!
//! # Why not the `ipp` crate
//!
//! `ipp` 8.0 (crates.io) was measured beside this module
//! (`cargo bench -p quire-ipp --bench decode`). It builds here, and without its
//! default features (which bring reqwest and tokio: 123 crates) it decodes from
//! any `Read` without I/O, in 18 crates (itself included), 3 new to the workspace
//! (`ipp`, `enum-as-inner`, `enum-primitive-derive`). It is kept out because:
//!
//! - its errors do not say where: an answer cut short is `failed to fill whole
//!   buffer` wherever it was cut, where this decoder says `IPP response byte
//!   2983: a name needs 30 bytes, 17 are left`, and an agent logs that per
//!   printer;
//! - it decodes the recorded `ippeveprinter` answers (`fixtures/ipp/`, 7.3 KB)
//!   in 27–33 µs of CPU against 16–20 µs here (1.4–1.8x), and wants an owned
//!   `'static` reader, so a body is copied first;
//! - it keeps a collection's members in a `BTreeMap`, losing the order the
//!   printer sent them in.
//!
//! The requests are a few lines either way, and the mapping to a reading
//! (`reading.rs`) would be needed either way.

/// Get-Printer-Attributes (RFC 8011 section 4.2.5).
const OP_GET_PRINTER_ATTRIBUTES: u16 = 0x000B;
/// CUPS-Get-Printers (CUPS Implementation of IPP, section 4.2): every queue
/// of a CUPS server, with the attributes asked for.
const OP_CUPS_GET_PRINTERS: u16 = 0x4002;

const TAG_OPERATION: u8 = 0x01;
const TAG_END: u8 = 0x03;
const TAG_PRINTER: u8 = 0x04;

const VALUE_INTEGER: u8 = 0x21;
const VALUE_BOOLEAN: u8 = 0x22;
const VALUE_ENUM: u8 = 0x23;
const VALUE_BEG_COLLECTION: u8 = 0x34;
const VALUE_END_COLLECTION: u8 = 0x37;
const VALUE_MEMBER_NAME: u8 = 0x4A;
const VALUE_KEYWORD: u8 = 0x44;
const VALUE_URI: u8 = 0x45;
const VALUE_CHARSET: u8 = 0x47;
const VALUE_NATURAL_LANGUAGE: u8 = 0x48;
/// The extension tag: the real tag follows in four bytes (RFC 8010 3.5.2).
const VALUE_EXTENSION: u8 = 0x7F;

/// Collections nest; a device that nests deeper than this is not describing a printer.
const MAX_COLLECTION_DEPTH: usize = 16;

/// The request for `printer_uri`'s attributes. `requested` names the
/// attributes wanted (`all` is every one the printer has).
pub fn get_printer_attributes(printer_uri: &str, request_id: u32, requested: &[&str]) -> Vec<u8> {
    request(
        OP_GET_PRINTER_ATTRIBUTES,
        Some(printer_uri),
        request_id,
        requested,
    )
}

/// The request for every queue of a CUPS server, each with `requested`.
pub fn cups_get_printers(request_id: u32, requested: &[&str]) -> Vec<u8> {
    request(OP_CUPS_GET_PRINTERS, None, request_id, requested)
}

fn request(
    operation: u16,
    printer_uri: Option<&str>,
    request_id: u32,
    requested: &[&str],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&[2, 0]);
    out.extend_from_slice(&operation.to_be_bytes());
    out.extend_from_slice(&request_id.to_be_bytes());
    out.push(TAG_OPERATION);
    put(&mut out, VALUE_CHARSET, "attributes-charset", b"utf-8");
    put(
        &mut out,
        VALUE_NATURAL_LANGUAGE,
        "attributes-natural-language",
        b"en",
    );
    if let Some(uri) = printer_uri {
        put(&mut out, VALUE_URI, "printer-uri", uri.as_bytes());
    }
    for (i, name) in requested.iter().enumerate() {
        let attribute = if i == 0 { "requested-attributes" } else { "" };
        put(&mut out, VALUE_KEYWORD, attribute, name.as_bytes());
    }
    out.push(TAG_END);
    out
}

fn put(out: &mut Vec<u8>, tag: u8, name: &str, value: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
}

/// A decoded IPP response.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `major.minor`, as sent.
    pub version: (u8, u8),
    /// The status code (0x0000-0x00FF successful, RFC 8011 appendix B).
    pub status: u16,
    pub request_id: u32,
    pub groups: Vec<Group>,
}

/// One attribute group (operation, printer, job, unsupported, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The delimiter tag (0x01 operation, 0x04 printer, ...).
    pub tag: u8,
    pub attributes: Vec<Attribute>,
}

/// An attribute and its values (several for a `1setOf`).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<Value>,
}

/// One value, by syntax. Every character-string syntax (text, name, keyword,
/// URI, charset, language, MIME type) is [`Value::Text`]; the
/// `*WithLanguage` forms keep only the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i32),
    Boolean(bool),
    Enum(i32),
    Text(String),
    Octets(Vec<u8>),
    /// Member attributes in order.
    Collection(Vec<Attribute>),
    /// `unsupported`, `unknown`, `no-value` and syntaxes Quire does not read
    /// (dateTime, resolution, rangeOfInteger), with their tag and bytes.
    Other {
        tag: u32,
        bytes: Vec<u8>,
    },
}

impl Message {
    /// Whether the status code says the request succeeded.
    pub fn successful(&self) -> bool {
        self.status < 0x0100
    }

    /// The first attribute called `name` in the printer group(s).
    pub fn printer_attribute(&self, name: &str) -> Option<&Attribute> {
        self.printers()
            .flat_map(|g| &g.attributes)
            .find(|a| a.name == name)
    }

    /// The printer groups: one for Get-Printer-Attributes, one per queue for
    /// CUPS-Get-Printers.
    pub fn printers(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|g| g.tag == TAG_PRINTER)
    }
}

impl Group {
    /// The attribute called `name` in this group.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

impl Attribute {
    /// The first value as text (character strings and UTF-8 octet strings).
    pub fn text(&self) -> Option<&str> {
        self.values.iter().find_map(Value::as_text)
    }

    /// The first value as a number (integer or enum).
    pub fn int(&self) -> Option<i32> {
        self.values.first().and_then(Value::as_int)
    }
}

impl Value {
    /// Text, or an octet string that is valid UTF-8 (PWG puts `printer-supply` in octets).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            Value::Octets(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// An integer or enum value.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            Value::Integer(v) | Value::Enum(v) => Some(*v),
            _ => None,
        }
    }
}

/// Why a response could not be decoded, and at which byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IPP response byte {offset}: {what}")]
pub struct DecodeError {
    pub offset: usize,
    pub what: String,
}

/// Decodes an IPP response (or request: the header has the same shape).
pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    let version = (r.u8("version")?, r.u8("version")?);
    let status = r.u16("status code")?;
    let request_id = r.u32("request id")?;
    let mut groups: Vec<Group> = Vec::new();
    loop {
        let at = r.at;
        let tag = r.u8("a tag (the message ends without end-of-attributes)")?;
        match tag {
            TAG_END => break,
            0x00..=0x0F => groups.push(Group {
                tag,
                attributes: Vec::new(),
            }),
            _ => {
                let Some(group) = groups.last_mut() else {
                    return Err(r.error_at(at, format!("value tag {tag:#04x} before any group")));
                };
                let (_, name, value) = r.value_after(tag, 0)?;
                if name.is_empty() {
                    let Some(last) = group.attributes.last_mut() else {
                        return Err(r.error_at(at, "an additional value with no attribute".into()));
                    };
                    last.values.push(value);
                } else {
                    group.attributes.push(Attribute {
                        name,
                        values: vec![value],
                    });
                }
            }
        }
    }
    Ok(Message {
        version,
        status,
        request_id,
        groups,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error_at(&self, offset: usize, what: String) -> DecodeError {
        DecodeError { offset, what }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        match end {
            Some(end) => {
                let slice = &self.bytes[self.at..end];
                self.at = end;
                Ok(slice)
            }
            None => Err(self.error_at(
                self.at,
                format!(
                    "{what} needs {n} bytes, {} are left",
                    self.bytes.len() - self.at
                ),
            )),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// One value whose tag byte was just read: (tag, name, value). A
    /// collection's members are read here too, up to its end.
    fn value_after(
        &mut self,
        first: u8,
        depth: usize,
    ) -> Result<(u32, String, Value), DecodeError> {
        let at = self.at - 1;
        let tag = if first == VALUE_EXTENSION {
            self.u32("an extension tag")?
        } else {
            u32::from(first)
        };
        let name_len = usize::from(self.u16("a name length")?);
        let name = String::from_utf8_lossy(self.take(name_len, "a name")?).into_owned();
        let value_len = usize::from(self.u16("a value length")?);
        let bytes = self.take(value_len, "a value")?;
        let fixed = |n: usize| {
            (bytes.len() == n).then_some(()).ok_or_else(|| DecodeError {
                offset: at,
                what: format!(
                    "{name:?}: tag {tag:#04x} needs a {n}-byte value, got {}",
                    bytes.len()
                ),
            })
        };
        let value = match tag {
            t if t == u32::from(VALUE_INTEGER) => {
                fixed(4)?;
                Value::Integer(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            t if t == u32::from(VALUE_ENUM) => {
                fixed(4)?;
                Value::Enum(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            t if t == u32::from(VALUE_BOOLEAN) => {
                fixed(1)?;
                Value::Boolean(bytes[0] != 0)
            }
            0x30 => Value::Octets(bytes.to_vec()),
            // textWithLanguage / nameWithLanguage: a language, then the text, each length-prefixed.
            0x35 | 0x36 => Value::Text(with_language(bytes).unwrap_or_default()),
            0x41..=0x4A => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
            t if t == u32::from(VALUE_BEG_COLLECTION) => {
                if depth >= MAX_COLLECTION_DEPTH {
                    return Err(self.error_at(at, format!("{name:?}: collections nested too deep")));
                }
                Value::Collection(self.members(depth + 1)?)
            }
            _ => Value::Other {
                tag,
                bytes: bytes.to_vec(),
            },
        };
        Ok((tag, name, value))
    }

    /// A collection's members, up to and including its end tag.
    fn members(&mut self, depth: usize) -> Result<Vec<Attribute>, DecodeError> {
        let mut members: Vec<Attribute> = Vec::new();
        loop {
            let at = self.at;
            let tag = self.u8("a collection member (the collection never ends)")?;
            let (tag, _, value) = self.value_after(tag, depth)?;
            match (tag, value) {
                (t, _) if t == u32::from(VALUE_END_COLLECTION) => return Ok(members),
                (t, Value::Text(name)) if t == u32::from(VALUE_MEMBER_NAME) => {
                    members.push(Attribute {
                        name,
                        values: Vec::new(),
                    })
                }
                (_, value) => match members.last_mut() {
                    Some(member) => member.values.push(value),
                    None => {
                        return Err(
                            self.error_at(at, "a collection value before any member name".into())
                        );
                    }
                },
            }
        }
    }
}

fn with_language(bytes: &[u8]) -> Option<String> {
    let lang_len = usize::from(u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]));
    let rest = bytes.get(2 + lang_len..)?;
    let text_len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
    Some(String::from_utf8_lossy(rest.get(2..2 + text_len)?).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_decodes_as_what_was_asked() {
        let bytes = get_printer_attributes(
            "ipp://127.0.0.1:631/ipp/print",
            7,
            &["all", "printer-supply"],
        );
        let message = decode(&bytes).unwrap();
        assert_eq!(message.version, (2, 0));
        assert_eq!(
            message.status, OP_GET_PRINTER_ATTRIBUTES,
            "a request carries its operation there"
        );
        assert_eq!(message.request_id, 7);
        let operation = &message.groups[0];
        assert_eq!(operation.tag, TAG_OPERATION);
        let names: Vec<_> = operation
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "attributes-charset",
                "attributes-natural-language",
                "printer-uri",
                "requested-attributes"
            ]
        );
        assert_eq!(
            operation.attributes[3].values,
            [
                Value::Text("all".into()),
                Value::Text("printer-supply".into())
            ]
        );
    }

    #[test]
    fn every_cut_of_a_message_is_an_error_with_its_offset_never_a_panic() {
        let bytes = get_printer_attributes("ipp://127.0.0.1/ipp/print", 1, &["all"]);
        for len in 0..bytes.len() {
            let error = decode(&bytes[..len]).unwrap_err();
            assert!(error.offset <= len, "{len}: {error}");
        }
    }

    #[test]
    fn collections_nest_and_end() {
        let mut bytes = vec![2, 0, 0, 0, 0, 0, 0, 1, 0x04];
        put(
            &mut bytes,
            VALUE_BEG_COLLECTION,
            "printer-impressions-completed-col",
            b"",
        );
        put(&mut bytes, VALUE_MEMBER_NAME, "", b"monochrome");
        put(&mut bytes, VALUE_INTEGER, "", &40i32.to_be_bytes());
        put(&mut bytes, VALUE_MEMBER_NAME, "", b"full-color");
        put(&mut bytes, VALUE_INTEGER, "", &2i32.to_be_bytes());
        put(&mut bytes, VALUE_END_COLLECTION, "", b"");
        bytes.push(TAG_END);
        let message = decode(&bytes).unwrap();
        let col = message
            .printer_attribute("printer-impressions-completed-col")
            .unwrap();
        let Value::Collection(members) = &col.values[0] else {
            panic!("{col:?}")
        };
        assert_eq!(members[0].name, "monochrome");
        assert_eq!(members[0].int(), Some(40));
        assert_eq!(members[1].int(), Some(2));

        let mut open = vec![2, 0, 0, 0, 0, 0, 0, 1, 0x04];
        put(&mut open, VALUE_BEG_COLLECTION, "endless", b"");
        open.push(TAG_END);
        assert!(decode(&open).is_err());
    }

    #[test]
    fn an_integer_of_the_wrong_size_is_named() {
        let mut bytes = vec![2, 0, 0, 0, 0, 0, 0, 1, 0x04];
        put(&mut bytes, VALUE_INTEGER, "printer-state", &[0, 3]);
        bytes.push(TAG_END);
        let error = decode(&bytes).unwrap_err();
        assert_eq!(error.offset, 9);
        assert!(error.what.contains("printer-state"), "{error}");
    }
}
