//! The common payload read without serde: a byte scanner for the JSON that issuers write
//! (strings without escapes, non-negative integers, `true`, `false`, `null`, shallow objects
//! and arrays). Anything else (an escape, a fraction, an exponent, a negative or long
//! number, deep nesting, an object with many members, and every grammar error) is not
//! judged here: [`read`] returns `None` and the full reader decides. So this reader only
//! ever accepts text the full reader accepts, with the same registered claims; a property
//! test and the `jwk` fuzz target hold it to that.

use super::{Date, Field, Registered, Strings, Text, Watched};

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
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    s.ws();
    let r = s.top(watched)?;
    s.ws();
    (s.i == s.b.len()).then_some(r)
}

/// What a member's value was, as far as its claim cares.
enum Seen {
    Null,
    Str(Text),
    /// An array: its string members, when asked for.
    Strs(Vec<Text>),
    /// A non-negative integer.
    Number(u64),
    /// An object: its `jkt` member, when asked for and a string.
    Object(Option<Text>),
    Other,
}

/// What to keep of a value.
#[derive(Clone, Copy)]
struct Keep {
    /// An array's string members.
    strings: bool,
    /// An object's `jkt` string member.
    jkt: bool,
}

const SKIP: Keep = Keep {
    strings: false,
    jkt: false,
};

/// The position of the first `"`, `\` or control character in `b` (where a string without
/// escapes ends; an escape or a control character is refused, or left to the full reader).
/// Eight bytes at a time: for each byte, the high bit of `v - 0x01…` masked by `!v` is set
/// when the byte of `v` is zero (`v` = the word XOR the wanted byte) or, with `0x20…`, below
/// `0x20`. A borrow can mark bytes above a match, never below one, so the lowest mark is
/// the first match.
fn string_end(b: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let mut at = 0;
    let mut chunks = b.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let marks = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | w.wrapping_sub(ONES * 0x20) & !w)
            & HIGH;
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

    /// Consumes `byte` (after whitespace); `None` when something else is there.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// A string without escapes or control characters: its span and its bytes.
    fn string(&mut self) -> Option<(Text, &'a [u8])> {
        let b = self.b;
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let len = string_end(b.get(start..)?)?;
        if b.get(start + len) != Some(&b'"') {
            return None;
        }
        self.i = start + len + 1;
        let span = Text::At {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(len).ok()?,
        };
        Some((span, b.get(start..start + len)?))
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

    fn value(&mut self, keep: Keep, depth: usize) -> Option<Seen> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|(t, _)| Seen::Str(t)),
            b'{' if depth < MAX_DEPTH => {
                let mut jkt = None;
                self.object(|s, _, name| {
                    let wanted = keep.jkt && name == b"jkt";
                    if let Seen::Str(t) = s.value(SKIP, depth + 1)? {
                        if wanted {
                            jkt = Some(t);
                        }
                    }
                    Some(())
                })?;
                Some(Seen::Object(jkt))
            }
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                let mut strings = Vec::new();
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                } else {
                    loop {
                        if let Seen::Str(t) = self.value(SKIP, depth + 1)? {
                            if keep.strings {
                                strings.push(t);
                            }
                        }
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Seen::Strs(strings))
            }
            b't' => self.literal(b"true").map(|()| Seen::Other),
            b'f' => self.literal(b"false").map(|()| Seen::Other),
            b'n' => self.literal(b"null").map(|()| Seen::Null),
            b'0'..=b'9' => self.number().map(Seen::Number),
            _ => None,
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
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let (_, text) = self.string()?;
            let tag = super::tag(text);
            if count == MAX_MEMBERS || names[..count].iter().any(|(t, n)| *t == tag && *n == text) {
                return None;
            }
            names[count] = (tag, text);
            count += 1;
            self.expect(b':')?;
            member(self, tag, text)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
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
            let keep = Keep {
                strings: matches!(field, Field::Aud | Field::Scope | Field::Permissions),
                jkt: field == Field::Cnf,
            };
            let seen = s.value(keep, 1)?;
            if let Some(i) = watched {
                if !matches!(seen, Seen::Null) {
                    r.present |= 1 << i;
                }
            }
            let string = |seen: Seen| match seen {
                Seen::Str(t) => Some(t),
                _ => None,
            };
            let date = |seen: Seen| match seen {
                Seen::Number(d) => Date::At(d),
                _ => Date::Invalid,
            };
            let strings = |seen: Seen| match seen {
                Seen::Str(t) => Strings::One(t),
                Seen::Strs(all) => Strings::Many(all),
                _ => Strings::None,
            };
            match field {
                Field::Iss => r.iss = string(seen),
                Field::Jti => r.proof.jti = string(seen),
                Field::Htm => r.proof.htm = string(seen),
                Field::Htu => r.proof.htu = string(seen),
                Field::Ath => r.proof.ath = string(seen),
                Field::Nonce => r.proof.nonce = string(seen),
                Field::Sub => r.sub = string(seen),
                Field::Azp => r.azp = string(seen),
                Field::ClientId => r.client_id = string(seen),
                Field::Aud => r.aud = strings(seen),
                Field::Scope => r.scope = strings(seen),
                Field::Permissions => r.permissions = strings(seen),
                Field::Exp => r.exp = date(seen),
                Field::Nbf => r.nbf = date(seen),
                Field::Iat => r.iat = date(seen),
                Field::Cnf => {
                    r.cnf = true;
                    if let Seen::Object(jkt) = seen {
                        r.jkt = jkt;
                    }
                }
                Field::Other => {}
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
