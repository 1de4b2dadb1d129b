//! The common payload read without serde: a byte scanner for the JSON that issuers write
//! (strings without escapes, non-negative integers, `true`, `false`, `null`, shallow objects
//! and arrays). Anything else (an escape, a fraction, an exponent, a negative or long
//! number, deep nesting, an object with many members, and every grammar error) is not
//! judged here: [`read`] returns `None` and the full reader decides. So this reader only
//! ever accepts text the full reader accepts, with the same registered claims; a property
//! test and the `jwk` fuzz target hold it to that.
//!
//! Each registered claim is read by what it holds (a string claim's string, a date's
//! number, `aud`'s string or array of strings) and every other value is only checked, so
//! nothing is built for the members no check reads.

use super::{Date, Field, Registered, Strings, TAGGED, Text, Watched};

/// Deeper nesting is left to the full reader (an access token's is at most 3 or 4 deep,
/// e.g. `resource_access.<client>.roles[]`).
pub(super) const MAX_DEPTH: usize = 8;
/// Objects with more members are left to the full reader, whose duplicate check switches
/// to a hash set for large objects. (Access tokens have 10 to 25 members.)
pub(super) const MAX_MEMBERS: usize = 32;
/// Integers of up to 18 digits fit a `u64` (and an `i64`) whatever the digits.
const MAX_DIGITS: usize = 18;

/// Reads `text` (one JSON object) when it is in the common subset; `None` otherwise (not
/// necessarily invalid: the full reader decides).
pub(super) fn read(text: &str, watched: &Watched) -> Option<Box<Registered>> {
    // Spans are kept as `u32`s: a longer text is left to the full reader.
    u32::try_from(text.len()).ok()?;
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    s.ws();
    let r = s.top(watched)?;
    s.ws();
    (s.i == s.b.len()).then_some(r)
}

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = ONES << 7;

/// The eight bytes of `b` at `at`, as a little-endian word, when there are eight.
fn word(b: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The high bit of each byte of `w` that is `"`, `\` or a control character, and
/// possibly of bytes above such a byte, never below one (so the lowest mark is the first
/// such byte): for each byte, the high bit of `v - 0x01…` masked by `!v` is set when the
/// byte of `v` is zero (`v` = the word XOR the wanted byte) or, with `0x20…`, below `0x20`.
/// A borrow can mark bytes above a match, never below one.
fn stops(w: u64) -> u64 {
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    (quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash
        | w.wrapping_sub(ONES * 0x20) & !w)
        & HIGH
}

/// The position of the first `"`, `\` or control character in `b` (where a string without
/// escapes ends; an escape or a control character is refused, or left to the full reader).
/// Eight bytes at a time (see [`stops`]).
fn string_end(b: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut chunks = b.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let marks = stops(u64::from_le_bytes(bytes));
        if marks != 0 {
            // At most 7: the index of the marked byte.
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| at + p)
}

/// A string read by [`Scanner::string`]: where its text starts, its length, and its first
/// eight bytes when the text has eight bytes from its start (the string's and what
/// follows it).
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
    first: Option<u64>,
}

impl Span {
    /// As a [`Text`] (the text's length was checked to fit a `u32`).
    fn text(self) -> Option<Text> {
        Some(Text::At {
            start: u32::try_from(self.start).ok()?,
            len: u32::try_from(self.len).ok()?,
        })
    }

    /// The [`tag`](super::tag) of the string, from its first word when it has one.
    fn tag(self, bytes: &[u8]) -> u64 {
        match self.first {
            Some(w) => {
                let kept = self.len.min(TAGGED);
                // The first `kept` bytes (at most seven), the length's low byte above.
                (w & ((1u64 << (8 * kept)) - 1)) | ((self.len & 0xff) as u64) << 56
            }
            None => super::tag(bytes),
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// The next byte after whitespace (not consumed).
    fn next(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    /// A string without escapes or control characters (the scanner at its opening quote),
    /// the scanner left past its closing quote. (Inlined: a dozen calls per payload, each
    /// returning a span through memory when called.)
    #[inline(always)]
    fn string(&mut self) -> Option<Span> {
        let start = self.i + 1;
        let first = word(self.b, start);
        let len = match first.map(stops) {
            Some(0) => 8 + string_end(self.b.get(start + 8..)?)?,
            // At most 7: the index of the marked byte.
            Some(marks) => (marks.trailing_zeros() / 8) as usize,
            None => string_end(self.b.get(start..)?)?,
        };
        let end = start + len;
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some(Span { start, len, first })
    }

    /// A non-negative integer of at most [`MAX_DIGITS`] digits, without a leading zero,
    /// fraction or exponent.
    fn number(&mut self) -> Option<u64> {
        let digits = self.b.get(self.i..)?;
        let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > MAX_DIGITS || (n > 1 && digits.first() == Some(&b'0')) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = digits.get(n) {
            return None;
        }
        self.i += n;
        digits[..n]
            .iter()
            .try_fold(0u64, |v, d| Some(v * 10 + u64::from(d - b'0')))
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Checks a value (the scanner at its first byte) at nesting `depth`, keeping
    /// nothing; whether it is not `null`.
    fn skip(&mut self, depth: usize) -> Option<bool> {
        match self.peek()? {
            b'"' => self.string().map(|_| true),
            b'{' if depth < MAX_DEPTH => self
                .object(|s, _, _| {
                    s.ws();
                    s.skip(depth + 1).map(drop)
                })
                .map(|()| true),
            b'[' if depth < MAX_DEPTH => self.array(|s| s.skip(depth + 1).map(drop)).map(|()| true),
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| true),
            b'n' => self.literal(b"null").map(|()| false),
            b'0'..=b'9' => self.number().map(|_| true),
            _ => None,
        }
    }

    /// An array (at `[`): `item` reads each item (the scanner at its first byte).
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.i += 1;
        if self.next()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            item(self)?;
            match self.next()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An object (at `{`): `member` reads each member's value (the scanner just past the
    /// `:`), given its name's [`tag`](super::tag) and its name. A repeated name is left to
    /// the full reader, which refuses it.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, u64, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        self.i += 1;
        let mut names: [(u64, &'a [u8]); MAX_MEMBERS] = [(0, &[]); MAX_MEMBERS];
        let mut count = 0;
        if self.next()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.next()? != b'"' {
                return None;
            }
            let span = self.string()?;
            let name = self.b.get(span.start..span.start + span.len)?;
            let tag = span.tag(name);
            if count == MAX_MEMBERS
                || names[..count]
                    .iter()
                    .any(|(t, n)| *t == tag && (name.len() <= TAGGED || *n == name))
            {
                return None;
            }
            names[count] = (tag, name);
            count += 1;
            if self.next()? != b':' {
                return None;
            }
            self.i += 1;
            member(self, tag, name)?;
            match self.next()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string claim's value: the string, or `None` for any other value; and whether
    /// the value is not `null`.
    fn text(&mut self) -> Option<(Option<Text>, bool)> {
        if self.peek()? == b'"' {
            Some((Some(self.string()?.text()?), true))
        } else {
            Some((None, self.skip(1)?))
        }
    }

    /// A `NumericDate` claim's value.
    fn date(&mut self) -> Option<(Date, bool)> {
        if self.peek()?.is_ascii_digit() {
            Some((Date::At(self.number()?), true))
        } else {
            Some((Date::Invalid, self.skip(1)?))
        }
    }

    /// A claim that may be a string or an array of strings (its other members skipped).
    fn strings(&mut self) -> Option<(Strings, bool)> {
        match self.peek()? {
            b'"' => Some((Strings::One(self.string()?.text()?), true)),
            b'[' => {
                let mut all = Vec::new();
                self.array(|s| {
                    if s.peek()? == b'"' {
                        all.push(s.string()?.text()?);
                    } else {
                        s.skip(2)?;
                    }
                    Some(())
                })?;
                Some((Strings::Many(all), true))
            }
            _ => Some((Strings::None, self.skip(1)?)),
        }
    }

    /// `cnf`: its `jkt` member, when it is an object whose `jkt` is a string.
    fn cnf(&mut self) -> Option<(Option<Text>, bool)> {
        if self.peek()? != b'{' {
            return Some((None, self.skip(1)?));
        }
        const JKT: u64 = super::tag(b"jkt");
        let mut jkt = None;
        self.object(|s, tag, _| {
            s.ws();
            if tag == JKT && s.peek()? == b'"' {
                jkt = Some(s.string()?.text()?);
            } else {
                s.skip(2)?;
            }
            Some(())
        })?;
        Some((jkt, true))
    }

    /// The top-level object, its registered claims recorded as the full reader records them.
    fn top(&mut self, watched: &Watched) -> Option<Box<Registered>> {
        if self.peek()? != b'{' {
            return None;
        }
        let mut r = Box::<Registered>::default();
        // (The text is UTF-8 already: names are compared as bytes.)
        self.object(|s, tag, name| {
            let field = Field::of(tag, name);
            let watched = watched.position(field, tag, name);
            s.ws();
            // Each claim read by what it holds, recorded where the full reader records it.
            let present = if let Some(slot) = r.text_mut(field) {
                let (text, present) = s.text()?;
                *slot = text;
                present
            } else if let Some(slot) = r.strings_mut(field) {
                let (strings, present) = s.strings()?;
                *slot = strings;
                present
            } else if let Some(slot) = r.date_mut(field) {
                let (date, present) = s.date()?;
                *slot = date;
                present
            } else if field == Field::Cnf {
                let (jkt, present) = s.cnf()?;
                r.cnf = true;
                r.jkt = jkt;
                present
            } else {
                s.skip(1)?
            };
            if let Some(i) = watched {
                if present {
                    r.present |= 1 << i;
                }
            }
            Some(())
        })?;
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::string_end;

    fn naive(b: &[u8]) -> Option<usize> {
        b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)
    }

    #[test]
    fn every_byte_at_every_position_ends_a_string_exactly_when_it_should() {
        for len in 0..=24 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    // A clean background of printable and non-ASCII bytes.
                    let mut b: Vec<u8> = (0..len)
                        .map(|i| [b'a', 0x20, 0x7f, 0xc3, 0xff][i % 5])
                        .collect();
                    b[at] = byte;
                    assert_eq!(string_end(&b), naive(&b), "{byte:#04x} at {at} of {len}");
                    // A second match after the first never changes the answer.
                    b.push(b'"');
                    assert_eq!(
                        string_end(&b),
                        naive(&b),
                        "{byte:#04x} at {at} of {len}, quote after"
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_byte_by_byte_scan(
            b in proptest::collection::vec(
                prop_oneof![
                    8 => 0x20u8..=0xff,
                    1 => Just(b'"'),
                    1 => Just(b'\\'),
                    1 => 0u8..0x20,
                ],
                0..64,
            )
        ) {
            prop_assert_eq!(string_end(&b), naive(&b));
        }
    }
}
