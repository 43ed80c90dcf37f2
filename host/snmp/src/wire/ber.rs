//! The BER subset SNMP uses (X.690 definite-length, single-byte tags), as a
//! cursor that never panics and says at which byte a message goes wrong.

use crate::{Oid, WireError};

/// Longest content length accepted; an SNMP message fits in one UDP datagram.
const MAX_LENGTH: usize = 65_535;

/// A read position inside a byte buffer. Offsets in errors are absolute, from
/// the start of the message, so a hex dump can be read against them.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            end: data.len(),
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.end
    }

    pub(crate) fn error(&self, at: usize, message: impl Into<String>) -> WireError {
        WireError {
            offset: at,
            message: message.into(),
        }
    }

    /// Reads one tag and length, returning the tag, where the TLV started and
    /// a reader over its content; `self` moves past it.
    pub(crate) fn tlv(&mut self) -> Result<(u8, usize, Reader<'a>), WireError> {
        let start = self.pos;
        let tag = self.byte("a tag")?;
        if tag & 0x1f == 0x1f {
            return Err(self.error(start, format!("multi-byte tag 0x{tag:02x} is not SNMP")));
        }
        let len_at = self.pos;
        let first = self.byte("a length")?;
        let len = match first {
            0..=0x7f => usize::from(first),
            0x80 => return Err(self.error(len_at, "indefinite length is not allowed in SNMP")),
            0x81..=0x84 => {
                let mut len = 0usize;
                for _ in 0..(first & 0x7f) {
                    len = (len << 8) | usize::from(self.byte("a length")?);
                }
                len
            }
            _ => {
                return Err(self.error(
                    len_at,
                    format!("length of {} bytes is too long", first & 0x7f),
                ));
            }
        };
        if len > MAX_LENGTH || len > self.end - self.pos {
            return Err(self.error(
                len_at,
                format!(
                    "length {len} runs past the end ({} bytes left)",
                    self.end - self.pos
                ),
            ));
        }
        let content = Reader {
            data: self.data,
            pos: self.pos,
            end: self.pos + len,
        };
        self.pos += len;
        Ok((tag, start, content))
    }

    /// Reads a TLV that must carry `tag`, naming `what` when it does not.
    pub(crate) fn expect(&mut self, tag: u8, what: &str) -> Result<Reader<'a>, WireError> {
        let at = self.pos;
        let (found, _, content) = self
            .tlv()
            .map_err(|e| self.error(e.offset, format!("{what}: {}", e.message)))?;
        if found != tag {
            return Err(self.error(
                at,
                format!("expected {what} (tag 0x{tag:02x}), found tag 0x{found:02x}"),
            ));
        }
        Ok(content)
    }

    pub(crate) fn integer(&mut self, what: &str) -> Result<i64, WireError> {
        let at = self.pos;
        let content = self.expect(0x02, what)?;
        content.signed(at, what)
    }

    /// An INTEGER that must fit in Integer32, as request IDs and flags do.
    pub(crate) fn integer32(&mut self, what: &str) -> Result<i32, WireError> {
        let at = self.pos;
        let value = self.integer(what)?;
        i32::try_from(value).map_err(|_| self.error(at, format!("{what} {value} is out of range")))
    }

    pub(crate) fn octets(&mut self, what: &str) -> Result<&'a [u8], WireError> {
        Ok(self.expect(0x04, what)?.rest())
    }

    /// The remaining content bytes.
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..self.end]
    }

    /// The content as a two's-complement integer of at most 8 bytes.
    pub(crate) fn signed(&self, at: usize, what: &str) -> Result<i64, WireError> {
        let bytes = self.rest();
        if bytes.is_empty() || bytes.len() > 8 {
            return Err(self.error(
                at,
                format!("{what} has {} content bytes (1 to 8 allowed)", bytes.len()),
            ));
        }
        let mut value: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
        for &b in bytes {
            value = (value << 8) | i64::from(b);
        }
        Ok(value)
    }

    /// The content as an unsigned integer of `bits` bits; BER adds a leading
    /// zero byte when the top bit is set, so one extra byte is allowed.
    pub(crate) fn unsigned(&self, at: usize, bits: u32, what: &str) -> Result<u64, WireError> {
        let bytes = self.rest();
        let max_len = (bits / 8) as usize + 1;
        if bytes.is_empty() || bytes.len() > max_len || (bytes.len() == max_len && bytes[0] != 0) {
            return Err(self.error(at, format!("{what} does not fit in {bits} bits")));
        }
        if bytes[0] & 0x80 != 0 {
            return Err(self.error(at, format!("{what} is negative")));
        }
        Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// The content as an OBJECT IDENTIFIER.
    pub(crate) fn oid(&self, at: usize) -> Result<Oid, WireError> {
        let bytes = self.rest();
        if bytes.is_empty() {
            return Err(self.error(at, "empty OBJECT IDENTIFIER"));
        }
        let mut arcs = Vec::with_capacity(bytes.len() + 1);
        let mut sub: u64 = 0;
        let mut pending = false;
        for (i, &b) in bytes.iter().enumerate() {
            if !pending && b == 0x80 {
                return Err(self.error(self.pos + i, "OID sub-identifier has a leading 0x80"));
            }
            sub = (sub << 7) | u64::from(b & 0x7f);
            if sub > u64::from(u32::MAX) + 80 {
                return Err(self.error(self.pos + i, "OID sub-identifier exceeds 32 bits"));
            }
            pending = b & 0x80 != 0;
            if pending {
                continue;
            }
            if arcs.is_empty() {
                let (first, second) = match sub {
                    0..40 => (0, sub),
                    40..80 => (1, sub - 40),
                    _ => (2, sub - 80),
                };
                arcs.push(first);
                arcs.push(
                    u32::try_from(second)
                        .map_err(|_| self.error(self.pos, "OID second arc exceeds 32 bits"))?,
                );
            } else {
                arcs.push(
                    u32::try_from(sub).map_err(|_| {
                        self.error(self.pos + i, "OID sub-identifier exceeds 32 bits")
                    })?,
                );
            }
            sub = 0;
        }
        if pending {
            return Err(self.error(self.end, "OID ends inside a sub-identifier"));
        }
        Ok(Oid::new(arcs))
    }

    fn byte(&mut self, what: &str) -> Result<u8, WireError> {
        if self.pos >= self.end {
            return Err(self.error(self.pos, format!("message ends where {what} should be")));
        }
        let b = self.data[self.pos];
        self.pos += 1;
        Ok(b)
    }
}

/// Appends a TLV whose content `body` writes, patching the length in after.
pub(crate) fn write_tlv(out: &mut Vec<u8>, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(tag);
    let len_at = out.len();
    out.push(0);
    let start = out.len();
    body(out);
    let len = out.len() - start;
    if len < 0x80 {
        out[len_at] = len as u8;
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let len_bytes = &bytes[skip..];
        out[len_at] = 0x80 | len_bytes.len() as u8;
        out.splice(start..start, len_bytes.iter().copied());
    }
}

pub(crate) fn write_octets(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    write_tlv(out, tag, |out| out.extend_from_slice(bytes));
}

/// Minimal two's-complement encoding.
pub(crate) fn write_signed(out: &mut Vec<u8>, tag: u8, value: i64) {
    let bytes = value.to_be_bytes();
    let mut skip = 0;
    while skip < 7 {
        let (b, next) = (bytes[skip], bytes[skip + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            skip += 1;
        } else {
            break;
        }
    }
    write_octets(out, tag, &bytes[skip..]);
}

/// Unsigned encoding, with the leading zero BER needs when the top bit is set.
pub(crate) fn write_unsigned(out: &mut Vec<u8>, tag: u8, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    write_tlv(out, tag, |out| {
        if bytes[skip] & 0x80 != 0 {
            out.push(0);
        }
        out.extend_from_slice(&bytes[skip..]);
    });
}

pub(crate) fn write_oid(out: &mut Vec<u8>, tag: u8, oid: &Oid) {
    let arcs = oid.arcs();
    let first = u64::from(arcs.first().copied().unwrap_or(0)) * 40
        + u64::from(arcs.get(1).copied().unwrap_or(0));
    write_tlv(out, tag, |out| {
        out.reserve(arcs.len() + 4);
        write_subid(out, first);
        for &arc in arcs.iter().skip(2) {
            write_subid(out, u64::from(arc));
        }
    });
}

fn write_subid(out: &mut Vec<u8>, value: u64) {
    // Most arcs are below 128: one byte, as it is.
    if value < 0x80 {
        out.push(value as u8);
        return;
    }
    let mut groups = [0u8; 10];
    let mut n = 0;
    let mut v = value;
    loop {
        groups[n] = (v & 0x7f) as u8;
        n += 1;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(groups[i] | if i > 0 { 0x80 } else { 0 });
    }
}
