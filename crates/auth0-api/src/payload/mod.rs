//! An access token's payload read in one pass (RFC 7519 §4.1): the same strict JSON
//! grammar as [`parse_object`](crate::jose::parse_object) (one object, no duplicate members
//! at any depth, no trailing data, numbers in range), checked without building a map, while
//! the registered claims the verifier and handlers use are recorded as positions in the
//! text. Custom claims stay raw JSON until a handler asks for them.
//!
//! A payload this accepts is exactly one `parse_object` accepts (a property test and the
//! `jwk` fuzz target hold both to that), so the map built later from the same text never
//! fails.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};

mod fast;

/// A string claim's value: a span of the payload text when it had no escapes, else the
/// unescaped copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Text {
    At { start: u32, len: u32 },
    Owned(Box<str>),
}

impl Text {
    /// The value, given the payload text it was read from.
    pub(crate) fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Self::At { start, len } => {
                let (s, l) = (*start as usize, *len as usize);
                text.get(s..s + l).unwrap_or_default()
            }
            Self::Owned(s) => s,
        }
    }
}

/// A claim that may be one string or an array of strings (`aud`, `scope`, `permissions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Strings {
    /// Absent, or neither a string nor an array.
    #[default]
    None,
    /// A string.
    One(Text),
    /// The string members of an array, in order.
    Many(Vec<Text>),
}

impl Strings {
    /// The strings, given the payload text they were read from: the string, or the
    /// array's string members in order.
    pub(crate) fn iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> {
        let (one, many): (Option<&Text>, &[Text]) = match self {
            Self::One(t) => (Some(t), &[]),
            Self::Many(all) => (None, all),
            Self::None => (None, &[]),
        };
        one.into_iter().chain(many).map(move |t| t.get(text))
    }
}

/// A `NumericDate` claim (`exp`, `nbf`, `iat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Date {
    #[default]
    Absent,
    /// A non-negative number, fractions truncated.
    At(u64),
    /// Present but not a usable `NumericDate` (`null` included).
    Invalid,
}

/// The registered claims of a payload, read in the same pass that checked its grammar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Registered {
    pub(crate) iss: Option<Text>,
    pub(crate) sub: Option<Text>,
    pub(crate) azp: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) aud: Strings,
    pub(crate) scope: Strings,
    pub(crate) permissions: Strings,
    pub(crate) exp: Date,
    pub(crate) nbf: Date,
    pub(crate) iat: Date,
    /// `cnf` is present (whatever its value).
    pub(crate) cnf: bool,
    /// `cnf.jkt`, when `cnf` is an object whose `jkt` is a string.
    pub(crate) jkt: Option<Text>,
    /// Bit `i` set: the `i`-th watched name (see [`parse`]) is present and not `null`.
    pub(crate) present: u64,
    /// The string members a DPoP proof's checks read (RFC 9449 §4.2), when strings.
    pub(crate) proof: ProofClaims,
}

/// The string claims of a DPoP proof (RFC 9449 §4.2), read by the same pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ProofClaims {
    pub(crate) jti: Option<Text>,
    pub(crate) htm: Option<Text>,
    pub(crate) htu: Option<Text>,
    pub(crate) ath: Option<Text>,
    pub(crate) nonce: Option<Text>,
}

impl Registered {
    /// Where a string claim's value goes (`iss`, `sub`, `azp`, `client_id` and the proof's
    /// claims); `None` for another field. Both readers record through these, so they
    /// cannot disagree on which claim goes where.
    fn text_mut(&mut self, field: Field) -> Option<&mut Option<Text>> {
        Some(match field {
            Field::Iss => &mut self.iss,
            Field::Sub => &mut self.sub,
            Field::Azp => &mut self.azp,
            Field::ClientId => &mut self.client_id,
            Field::Jti => &mut self.proof.jti,
            Field::Htm => &mut self.proof.htm,
            Field::Htu => &mut self.proof.htu,
            Field::Ath => &mut self.proof.ath,
            Field::Nonce => &mut self.proof.nonce,
            _ => return None,
        })
    }

    /// Where a claim of one string or an array of strings goes (`aud`, `scope`,
    /// `permissions`); `None` for another field.
    fn strings_mut(&mut self, field: Field) -> Option<&mut Strings> {
        Some(match field {
            Field::Aud => &mut self.aud,
            Field::Scope => &mut self.scope,
            Field::Permissions => &mut self.permissions,
            _ => return None,
        })
    }

    /// Where a `NumericDate` claim goes (`exp`, `nbf`, `iat`); `None` for another field.
    fn date_mut(&mut self, field: Field) -> Option<&mut Date> {
        Some(match field {
            Field::Exp => &mut self.exp,
            Field::Nbf => &mut self.nbf,
            Field::Iat => &mut self.iat,
            _ => return None,
        })
    }
}

/// A payload whose grammar was checked, with its registered claims.
pub(crate) struct Payload {
    pub(crate) text: String,
    /// Boxed: about 400 bytes, moved from the reader to the claims through several calls
    /// (one allocation costs less than copying it each time).
    pub(crate) registered: Box<Registered>,
}

impl Payload {
    /// The `iss` claim, when it is a string.
    pub(crate) fn iss(&self) -> Option<&str> {
        self.str(self.registered.iss.as_ref())
    }

    /// A string claim read from this payload.
    pub(crate) fn str<'a>(&'a self, claim: Option<&'a Text>) -> Option<&'a str> {
        claim.map(|t| t.get(&self.text))
    }
}

/// How many watched names [`parse`] reports on.
pub(crate) const MAX_WATCHED: usize = 64;

/// Reads a payload (the decoded bytes of a JWS payload segment). `watched` names top-level
/// members whose presence (not `null`) is reported in [`Registered::present`], by index
/// (the first [`MAX_WATCHED`] only). `None` when the bytes are not one strict JSON object.
pub(crate) fn parse(bytes: Vec<u8>, watched: &Watched) -> Option<Payload> {
    // Kept as decoded (no shrink to fit: that would copy it).
    let text = String::from_utf8(bytes).ok()?;
    let registered = fast::read(&text, watched).or_else(|| full(&text, watched))?;
    Some(Payload { text, registered })
}

/// The serde reader, for any payload: decides what [`fast::read`] leaves open.
fn full(text: &str, watched: &Watched) -> Option<Box<Registered>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let registered = de
        .deserialize_any(Top {
            base: text,
            watched,
        })
        .ok()?;
    de.end().ok()?;
    Some(registered)
}

/// Whether the fast reader, when it decides, decides as the full reader does (the fuzz
/// targets assert it on every input).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fast_agrees(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return true;
    };
    let watched = Watched::new(["iss", "x"]);
    fast::read(text, &watched).is_none_or(|r| full(text, &watched) == Some(r))
}

/// How many [`Field`]s there are ([`Field::Other`] is the last).
const FIELDS: usize = Field::Other as usize + 1;

/// Which registered claim a top-level member is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Iss,
    Sub,
    Azp,
    ClientId,
    Aud,
    Scope,
    Permissions,
    Exp,
    Nbf,
    Iat,
    Cnf,
    Jti,
    Htm,
    Htu,
    Ath,
    Nonce,
    Other,
}

impl Field {
    /// The claim named `name`, whose [`tag`] is `tag`. A name of up to seven bytes is told
    /// by its tag alone (one comparison of words, no byte comparison per candidate).
    fn of(tag: u64, name: &[u8]) -> Self {
        const ISS: u64 = self::tag(b"iss");
        const SUB: u64 = self::tag(b"sub");
        const AZP: u64 = self::tag(b"azp");
        const AUD: u64 = self::tag(b"aud");
        const SCOPE: u64 = self::tag(b"scope");
        const EXP: u64 = self::tag(b"exp");
        const NBF: u64 = self::tag(b"nbf");
        const IAT: u64 = self::tag(b"iat");
        const CNF: u64 = self::tag(b"cnf");
        const JTI: u64 = self::tag(b"jti");
        const HTM: u64 = self::tag(b"htm");
        const HTU: u64 = self::tag(b"htu");
        const ATH: u64 = self::tag(b"ath");
        const NONCE: u64 = self::tag(b"nonce");
        if name.len() > TAGGED {
            return match name {
                b"client_id" => Self::ClientId,
                b"permissions" => Self::Permissions,
                _ => Self::Other,
            };
        }
        match tag {
            ISS => Self::Iss,
            SUB => Self::Sub,
            AZP => Self::Azp,
            AUD => Self::Aud,
            SCOPE => Self::Scope,
            EXP => Self::Exp,
            NBF => Self::Nbf,
            IAT => Self::Iat,
            CNF => Self::Cnf,
            JTI => Self::Jti,
            HTM => Self::Htm,
            HTU => Self::Htu,
            ATH => Self::Ath,
            NONCE => Self::Nonce,
            _ => Self::Other,
        }
    }
}

/// The top-level member names whose presence [`parse`] reports, by index (the required
/// claims, in order; the first [`MAX_WATCHED`] only).
#[derive(Debug)]
pub(crate) struct Watched {
    /// For each claim [`Field`] (by its number), the index of the first watched name that
    /// is that claim's.
    by_field: [Option<u8>; FIELDS],
    /// The other watched names (not a claim [`Field`] tells), with their indexes and tags.
    others: Vec<(u8, u64, Box<str>)>,
}

impl Watched {
    /// No name watched.
    pub(crate) const NONE: Self = Self {
        by_field: [None; FIELDS],
        others: Vec::new(),
    };

    /// Watches `names`, in order (beyond [`MAX_WATCHED`], none).
    pub(crate) fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Self {
        let mut w = Self::NONE;
        for (i, name) in (0..=u8::MAX).zip(names).take(MAX_WATCHED) {
            let name = name.as_ref();
            let tag = tag(name.as_bytes());
            match Field::of(tag, name.as_bytes()) {
                Field::Other => w.others.push((i, tag, name.into())),
                field => {
                    w.by_field[field as usize].get_or_insert(i);
                }
            }
        }
        w
    }

    /// The index of the member `name` (the claim `field`, its [`tag`] `tag`), if watched:
    /// for a claim, one look-up; for another name, a scan of the other watched names
    /// (usually none), which tells names of up to seven bytes apart by tag and length.
    /// (Inlined: called for every member of every payload, and nearly always answered by
    /// the first look-up or an empty list.)
    #[inline(always)]
    fn position(&self, field: Field, tag: u64, name: &[u8]) -> Option<usize> {
        if field != Field::Other {
            return self.by_field[field as usize].map(usize::from);
        }
        if self.others.is_empty() {
            return None;
        }
        self.others
            .iter()
            .find(|(_, t, n)| {
                *t == tag && n.len() == name.len() && (name.len() <= TAGGED || n.as_bytes() == name)
            })
            .map(|(i, _, _)| usize::from(*i))
    }
}

/// The member names of one object, to refuse duplicates: a short list scanned in order,
/// moved into a hash set once an object has many members (so a hostile payload with
/// thousands of members costs linear time, not quadratic).
struct Names<'de> {
    /// Each name with its [`Names::tag`], compared first: most names differ there, so the
    /// scan rarely compares the text itself.
    list: Vec<(u64, Cow<'de, str>)>,
    set: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> Names<'de> {
    const LINEAR: usize = 24;

    fn new() -> Self {
        Self {
            list: Vec::new(),
            set: None,
        }
    }

    /// Records `name`; `false` when it was recorded before.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.set {
            return set.insert(name);
        }
        let tag = Self::tag(&name);
        if self.list.iter().any(|(t, n)| *t == tag && *n == name) {
            return false;
        }
        self.list.push((tag, name));
        if self.list.len() > Self::LINEAR {
            self.set = Some(self.list.drain(..).map(|(_, n)| n).collect());
        }
        true
    }

    fn tag(name: &str) -> u64 {
        tag(name.as_bytes())
    }
}

/// Names of up to this many bytes are held whole by their [`tag`].
const TAGGED: usize = 7;

/// The length and first bytes of a member name in one word: equal names have equal tags,
/// and two names of the same length of up to [`TAGGED`] bytes are equal when their tags
/// are. (Built in a register: copying the bytes to memory and loading them as one word
/// stalls.)
const fn tag(name: &[u8]) -> u64 {
    // The first seven bytes, then the length's low byte in the eighth: together they tell
    // most names apart.
    let mut v = 0u64;
    let mut i = 0;
    while i < name.len() && i < TAGGED {
        v |= (name[i] as u64) << (8 * i);
        i += 1;
    }
    v | ((name.len() & 0xff) as u64) << 56
}

/// A member name, borrowed from the text when it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// What a top-level member's value was, as far as its claim cares.
enum Seen<'de> {
    Null,
    Str(Cow<'de, str>),
    Strs(Vec<Cow<'de, str>>),
    Number(Option<u64>),
    /// An object's `jkt` member, when it was a string.
    Jkt(Option<Cow<'de, str>>),
    Other,
}

/// Any JSON value, checked and mostly skipped: strings kept when `keep_str`, the string
/// members of an array when `keep_array`, numbers read as a `NumericDate` when `date`, an
/// object's `jkt` string when `jkt`.
#[derive(Clone, Copy, Default)]
struct Value {
    keep_str: bool,
    keep_array: bool,
    date: bool,
    jkt: bool,
}

impl Value {
    const SKIP: Self = Self {
        keep_str: false,
        keep_array: false,
        date: false,
        jkt: false,
    };

    fn for_field(field: Field) -> Self {
        match field {
            Field::Iss
            | Field::Sub
            | Field::Azp
            | Field::ClientId
            | Field::Jti
            | Field::Htm
            | Field::Htu
            | Field::Ath
            | Field::Nonce => Self {
                keep_str: true,
                ..Self::SKIP
            },
            Field::Aud | Field::Scope | Field::Permissions => Self {
                keep_str: true,
                keep_array: true,
                ..Self::SKIP
            },
            Field::Exp | Field::Nbf | Field::Iat => Self {
                date: true,
                ..Self::SKIP
            },
            Field::Cnf => Self {
                jkt: true,
                ..Self::SKIP
            },
            Field::Other => Self::SKIP,
        }
    }

    fn number(self, date: impl FnOnce() -> Option<u64>) -> Seen<'static> {
        if self.date {
            Seen::Number(date())
        } else {
            Seen::Other
        }
    }
}

impl<'de> DeserializeSeed<'de> for Value {
    type Value = Seen<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value {
    type Value = Seen<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Seen::Other)
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.number(|| u64::try_from(v).ok()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.number(|| Some(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.number(|| crate::claims::date_from_f64(v)))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(if self.keep_str {
            Seen::Str(Cow::Borrowed(v))
        } else {
            Seen::Other
        })
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(if self.keep_str {
            Seen::Str(Cow::Owned(v.to_owned()))
        } else {
            Seen::Other
        })
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Seen::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Seen::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let member = Self {
            keep_str: self.keep_array,
            ..Self::SKIP
        };
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(member)? {
            if let Seen::Str(s) = v {
                out.push(s);
            }
        }
        Ok(if self.keep_array {
            Seen::Strs(out)
        } else {
            Seen::Other
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = Names::new();
        let mut jkt = None;
        while let Some(name) = map.next_key_seed(Name)? {
            let wanted = self.jkt && name == "jkt";
            if !names.insert(name) {
                return Err(de::Error::custom("duplicate member"));
            }
            let seed = Self {
                keep_str: wanted,
                ..Self::SKIP
            };
            if let Seen::Str(s) = map.next_value_seed(seed)? {
                jkt = Some(s);
            }
        }
        Ok(if self.jkt {
            Seen::Jkt(jkt)
        } else {
            Seen::Other
        })
    }
}

/// The top-level object.
struct Top<'a> {
    base: &'a str,
    watched: &'a Watched,
}

impl Top<'_> {
    fn text(&self, s: Cow<'_, str>) -> Text {
        if let Cow::Borrowed(b) = &s {
            let start = (b.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
            if let (Ok(start), Ok(len)) = (u32::try_from(start), u32::try_from(b.len())) {
                if self.base.get(start as usize..start as usize + b.len()) == Some(*b) {
                    return Text::At { start, len };
                }
            }
        }
        Text::Owned(s.into_owned().into_boxed_str())
    }

    fn strings(&self, seen: Seen<'_>) -> Strings {
        match seen {
            Seen::Str(s) => Strings::One(self.text(s)),
            Seen::Strs(v) => Strings::Many(v.into_iter().map(|s| self.text(s)).collect()),
            _ => Strings::None,
        }
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Box<Registered>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Box<Registered>, A::Error> {
        let mut names = Names::new();
        let mut r = Box::<Registered>::default();
        while let Some(name) = map.next_key_seed(Name)? {
            let tag = tag(name.as_bytes());
            let field = Field::of(tag, name.as_bytes());
            let watched = self.watched.position(field, tag, name.as_bytes());
            if !names.insert(name) {
                return Err(de::Error::custom("duplicate member"));
            }
            let seen = map.next_value_seed(Value::for_field(field))?;
            if let Some(i) = watched {
                if !matches!(seen, Seen::Null) {
                    r.present |= 1 << i;
                }
            }
            let string = |s: Seen<'_>| match s {
                Seen::Str(s) => Some(self.text(s)),
                _ => None,
            };
            let date = |s: Seen<'_>| match s {
                Seen::Number(Some(d)) => Date::At(d),
                _ => Date::Invalid,
            };
            if let Some(slot) = r.text_mut(field) {
                *slot = string(seen);
            } else if let Some(slot) = r.strings_mut(field) {
                *slot = self.strings(seen);
            } else if let Some(slot) = r.date_mut(field) {
                *slot = date(seen);
            } else if field == Field::Cnf {
                r.cnf = true;
                if let Seen::Jkt(Some(j)) = seen {
                    r.jkt = Some(self.text(j));
                }
            }
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::parse_object;
    use proptest::prelude::*;

    fn read(json: &str) -> Option<Payload> {
        parse(json.as_bytes().to_vec(), &Watched::NONE)
    }

    #[test]
    fn registered_claims_are_read_in_one_pass() {
        let watched = Watched::new(["iss", "tenant", "gone"]);
        let p = parse(
            br#"{"iss":"https://i/","sub":"a\"b","aud":["x",1,"y"],"exp":10.9,"nbf":-1,
                "iat":null,"scope":"r w","permissions":"p","cnf":{"jkt":"t","x":[{}]},
                "tenant":{"a":[1,{"b":null}]},"gone":null,"azp":7,"client_id":"c"}"#
                .to_vec(),
            &watched,
        )
        .expect("valid");
        let r = &p.registered;
        let t = &*p.text;
        assert_eq!(r.iss.as_ref().map(|s| s.get(t)), Some("https://i/"));
        assert!(matches!(r.iss, Some(Text::At { .. })), "no escape: a span");
        assert_eq!(r.sub.as_ref().map(|s| s.get(t)), Some("a\"b"));
        assert!(matches!(r.sub, Some(Text::Owned(_))), "escaped: a copy");
        let Strings::Many(aud) = &r.aud else {
            panic!("aud is an array")
        };
        assert_eq!(aud.iter().map(|a| a.get(t)).collect::<Vec<_>>(), ["x", "y"]);
        assert!(matches!(&r.scope, Strings::One(s) if s.get(t) == "r w"));
        assert!(matches!(&r.permissions, Strings::One(s) if s.get(t) == "p"));
        assert_eq!(
            (r.exp, r.nbf, r.iat),
            (Date::At(10), Date::Invalid, Date::Invalid)
        );
        assert!(r.cnf);
        assert_eq!(r.jkt.as_ref().map(|s| s.get(t)), Some("t"));
        assert!(r.azp.is_none(), "a number is not a string claim");
        assert_eq!(r.client_id.as_ref().map(|s| s.get(t)), Some("c"));
        assert_eq!(r.present, 0b011, "iss and tenant present, gone is null");
    }

    #[test]
    fn refuses_what_parse_object_refuses() {
        for bad in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"{"a":[{"b":1,"\u0062":2}]}"#,
            r#"{"cnf":{"jkt":"x","jkt":"y"}}"#,
            r#"{"exp":1e400}"#,
            r#"{"x":-1e400}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":1} x"#,
            r#"[1]"#,
            r#""s""#,
            r#"{"a":1,}"#,
            "",
        ] {
            assert!(read(bad).is_none(), "{bad}");
            assert!(parse_object(bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(
            parse(
                vec![b'{', b'"', 0xff, b'"', b':', b'1', b'}'],
                &Watched::NONE
            )
            .is_none()
        );
    }

    /// The claim names as compared byte by byte (what `Field::of` tells by tags).
    const FIELDS: [(&str, Field); 16] = [
        ("iss", Field::Iss),
        ("sub", Field::Sub),
        ("azp", Field::Azp),
        ("client_id", Field::ClientId),
        ("aud", Field::Aud),
        ("scope", Field::Scope),
        ("permissions", Field::Permissions),
        ("exp", Field::Exp),
        ("nbf", Field::Nbf),
        ("iat", Field::Iat),
        ("cnf", Field::Cnf),
        ("jti", Field::Jti),
        ("htm", Field::Htm),
        ("htu", Field::Htu),
        ("ath", Field::Ath),
        ("nonce", Field::Nonce),
    ];

    fn field_by_bytes(name: &[u8]) -> Field {
        FIELDS
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map_or(Field::Other, |(_, f)| *f)
    }

    /// Names next to each claim name: every one-byte change, a byte more or less, and the
    /// same first bytes with a length 256 bytes longer (the same low byte of the length,
    /// so the same tag), padded with NULs as an escaped name could be.
    fn near_names() -> Vec<Vec<u8>> {
        let mut names = vec![Vec::new(), b"jkt".to_vec(), b"org_id".to_vec()];
        for (n, _) in FIELDS {
            let n = n.as_bytes();
            names.push(n.to_vec());
            names.push(n[..n.len() - 1].to_vec());
            names.push([n, b"x"].concat());
            let mut long = n.to_vec();
            long.resize(n.len() + 256, 0);
            names.push(long);
            for i in 0..n.len() {
                for b in 0..=255u8 {
                    let mut m = n.to_vec();
                    m[i] = b;
                    names.push(m);
                }
            }
        }
        names
    }

    #[test]
    fn claims_are_told_by_tag_exactly_as_by_bytes() {
        for name in near_names() {
            assert!(
                Field::of(tag(&name), &name) == field_by_bytes(&name),
                "{name:?}"
            );
        }
    }

    #[test]
    fn watched_names_are_found_by_tag_exactly_as_by_bytes() {
        // First, names whose tags are those of `iss` and `aud` but for the length's low
        // byte, or equal to them (256 bytes longer).
        let mut list: Vec<String> = [("iss", 8), ("aud", 259)]
            .iter()
            .map(|(name, len)| {
                let mut long = name.as_bytes().to_vec();
                long.resize(*len, 0);
                String::from_utf8(long).unwrap()
            })
            .collect();
        list.extend(FIELDS.iter().map(|(n, _)| (*n).to_owned()));
        list.extend(["org_id".into(), "abcdefgX".into()]);
        // Repeated names: the first index is reported.
        list.extend(["iss".into(), "org_id".into()]);
        let watched = Watched::new(&list);
        let mut names = near_names();
        names.extend([b"abcdefgY".to_vec(), b"abcdefgX".to_vec()]);
        names.extend(list.iter().map(|n| n.as_bytes().to_vec()));
        for name in names {
            let by_bytes = list.iter().position(|w| w.as_bytes() == name);
            let tag = tag(&name);
            let field = Field::of(tag, &name);
            assert_eq!(watched.position(field, tag, &name), by_bytes, "{name:?}");
        }
    }

    #[test]
    fn names_with_equal_tags_are_still_compared_whole() {
        let long = |c: char| format!("prefix_{}{c}", "x".repeat(256));
        // Same first seven bytes and same length: different names.
        assert!(read(r#"{"abcdefgX":1,"abcdefgY":2}"#).is_some());
        // Same first seven bytes, lengths 256 apart (the same low byte): different names.
        let json = format!(r#"{{"{}":1,"{}":2}}"#, long('a'), &long('a')[..8]);
        assert_eq!(Names::tag(&long('a')), Names::tag(&long('a')[..8]));
        assert!(read(&json).is_some(), "{json}");
        let json = format!(r#"{{"{}":1,"{}":2}}"#, long('a'), long('b'));
        assert!(read(&json).is_some());
        for dup in [
            r#"{"abcdefgX":1,"abcdefgX":2}"#.to_owned(),
            format!(r#"{{"{}":1,"{}":2}}"#, long('a'), long('a')),
        ] {
            assert!(read(&dup).is_none(), "{dup}");
        }
    }

    #[test]
    fn many_members_cost_linear_time_and_duplicates_are_still_found() {
        let mut json = String::from("{");
        for i in 0..5000 {
            json.push_str(&format!("\"m{i}\":{i},"));
        }
        json.push_str("\"m17\":0}");
        assert!(read(&json).is_none(), "a late duplicate");
        json.truncate(json.len() - "\"m17\":0}".len());
        json.push_str("\"last\":0}");
        assert!(read(&json).is_some());
    }

    #[test]
    fn the_common_payload_is_read_without_serde() {
        let watched = Watched::new(["org_id", "gone"]);
        for json in [
            r#"{"iss":"https://tenant.auth0.com/","sub":"auth0|5f7c8ec7c33c6c004bbafe82","aud":["https://api.example.com","https://tenant.auth0.com/userinfo"],"iat":1764700000,"exp":1764786400,"scope":"openid read:data","azp":"CLIENT","permissions":["read:data","write:data"],"org_id":"org_123","gone":null}"#,
            "{ \"sub\" : \"é ü\" ,\n\t\"exp\":0, \"cnf\": {\"jkt\": \"abc\", \"x\": [1, true, false, null, {}]} }\r\n",
            "{}",
            r#"{"a":[[[["x"]]]],"b":{"c":{"d":{}}},"n":999999999999999999}"#,
            // A Keycloak access token's payload: 21 members, roles three levels down.
            r#"{"exp":1764786400,"iat":1764700000,"auth_time":1764699990,"jti":"onrtac:8d3f","iss":"https://sso.example.com/realms/acme","aud":["api","account"],"sub":"3c2b1a09-8f7e-4d6c-b5a4-938271605f4e","typ":"Bearer","azp":"web","sid":"0a1b2c3d","acr":"1","allowed-origins":["https://app.example.com"],"realm_access":{"roles":["offline_access","uma_authorization"]},"resource_access":{"api":{"roles":["reader"]},"account":{"roles":["manage-account","view-profile"]}},"scope":"openid profile email","email_verified":true,"name":"Ada Lovelace","preferred_username":"ada","given_name":"Ada","family_name":"Lovelace","email":"ada@example.com"}"#,
        ] {
            let fast = fast::read(json, &watched);
            assert!(fast.is_some(), "{json}");
            assert_eq!(fast, full(json, &watched), "{json}");
        }
        let r = fast::read(
            r#"{"aud":"a","scope":["r",1,"w"],"exp":"soon","nbf":null,"cnf":{"jkt":7},"org_id":1}"#,
            &watched,
        )
        .expect("common subset");
        assert!(matches!(r.aud, Strings::One(_)));
        assert!(matches!(&r.scope, Strings::Many(v) if v.len() == 2));
        assert_eq!(
            (r.exp, r.nbf, r.iat),
            (Date::Invalid, Date::Invalid, Date::Absent)
        );
        assert!(r.cnf && r.jkt.is_none());
        assert_eq!(r.present, 0b01);
    }

    #[test]
    fn the_fast_reader_leaves_everything_else_to_the_full_reader() {
        // One level deeper, and one member more, than the fast reader takes.
        let deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(fast::MAX_DEPTH),
            "]".repeat(fast::MAX_DEPTH)
        );
        let many = format!(
            "{{{}}}",
            (0..=fast::MAX_MEMBERS)
                .map(|i| format!("\"m{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let cases: Vec<(String, bool)> = [
            // (payload, what the full reader decides)
            (r#"{"sub":"a\"b"}"#, true),
            (r#"{"s\u0075b":"x"}"#, true),
            (r#"{"exp":1.5}"#, true),
            (r#"{"exp":1e3}"#, true),
            (r#"{"exp":-0}"#, true),
            (r#"{"exp":-1}"#, true),
            (r#"{"exp":1234567890123456789}"#, true),
            (r#"{"exp":01}"#, false),
            (r#"{"a":1,"a":2}"#, false),
            (r#"{"a":{"b":1,"b":2}}"#, false),
            (r#"{"a":1,}"#, false),
            (r#"{"a":[1,]}"#, false),
            (r#"{"a":1} x"#, false),
            (r#"{"a":tru}"#, false),
            (r#"{"a":truex}"#, false),
            (r#"{"a" 1}"#, false),
            (r#"{"a":1"b":2}"#, false),
            ("{\"a\":\"\u{1}\"}", false),
            (r#"{"a":"x}"#, false),
            (r#"{"a":1"#, false),
            (r#"[1]"#, false),
            ("", false),
        ]
        .into_iter()
        .map(|(j, ok)| (j.to_owned(), ok))
        .chain([(deep, true), (many, true)])
        .collect();
        for (json, valid) in cases {
            assert!(fast::read(&json, &Watched::NONE).is_none(), "{json}");
            assert_eq!(full(&json, &Watched::NONE).is_some(), valid, "{json}");
            assert_eq!(read(&json).is_some(), valid, "{json}");
        }
        // Just inside the limits, the fast reader decides.
        let deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(fast::MAX_DEPTH - 1),
            "]".repeat(fast::MAX_DEPTH - 1)
        );
        let many = format!(
            "{{{}}}",
            (0..fast::MAX_MEMBERS)
                .map(|i| format!("\"m{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        for json in [deep, many] {
            assert!(fast::read(&json, &Watched::NONE).is_some(), "{json}");
        }
    }

    /// JSON in the fast reader's subset (no escapes, fractions or negative numbers; shallow,
    /// few members), with names that may repeat and whitespace between tokens.
    fn common_json() -> impl Strategy<Value = String> {
        let ws = prop::sample::select(vec!["", "", " ", "\n\t", "\r "]);
        let name = prop::sample::select(vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "scope",
            "permissions",
            "azp",
            "client_id",
            "cnf",
            "jkt",
            "jti",
            "htm",
            "htu",
            "ath",
            "nonce",
            "x",
        ]);
        let leaf = prop::sample::select(vec![
            "null",
            "true",
            "false",
            "0",
            "7",
            "1764700000",
            "\"\"",
            "\"s\"",
            "\"a b\"",
            "\"é\"",
            "[]",
            "{}",
        ])
        .prop_map(str::to_owned);
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..4), ws.clone())
                    .prop_map(|(v, w)| format!("[{w}{}{w}]", v.join(&format!("{w},{w}")))),
                (
                    prop::collection::vec((name.clone(), inner), 0..5),
                    ws.clone()
                )
                    .prop_map(|(m, w)| {
                        let members: Vec<String> = m
                            .into_iter()
                            .map(|(k, v)| format!("\"{k}\"{w}:{w}{v}"))
                            .collect();
                        format!("{{{w}{}{w}}}", members.join(&format!("{w},")))
                    }),
            ]
        })
    }

    proptest! {
        /// In its subset the fast reader decides everything, exactly as the full reader.
        #[test]
        fn the_fast_reader_decides_its_subset_as_the_full_reader(json in common_json()) {
            let watched = Watched::new(["x", "iss"]);
            let full = full(&json, &watched);
            let fast = fast::read(&json, &watched);
            if json.starts_with('{') {
                prop_assert_eq!(fast, full, "{}", json);
            } else {
                prop_assert!(fast.is_none() && full.is_none(), "{}", json);
            }
        }

        /// One byte changed anywhere: when the fast reader still decides, it decides as
        /// the full reader.
        #[test]
        fn a_changed_byte_never_makes_the_readers_disagree(
            json in common_json(),
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"{}[]:,\"\\ 0-1.eE\x01\x7fntfx".to_vec()),
        ) {
            let mut bytes = json.into_bytes();
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            prop_assert!(fast_agrees(&bytes), "{}", String::from_utf8_lossy(&bytes));
        }
    }

    fn json_value() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "scope",
            "permissions",
            "azp",
            "client_id",
            "cnf",
            "jkt",
            "jti",
            "htu",
            "nonce",
            "x",
            "\\u0069ss",
            "a\\\"b",
        ])
        .prop_map(|n| format!("\"{n}\""));
        let leaf = prop::sample::select(vec![
            "null",
            "true",
            "1",
            "-1",
            "1.5",
            "1e400",
            "0.0",
            "\"s\"",
            "\"a b\"",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            "18446744073709551616",
            "[]",
            "{}",
        ])
        .prop_map(str::to_owned);
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((name.clone(), inner), 0..5).prop_map(|m| {
                    let members: Vec<String> =
                        m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        /// The one-pass reader accepts exactly what `parse_object` accepts, and the
        /// registered claims it reads are the ones in the map.
        #[test]
        fn agrees_with_parse_object(json in json_value()) {
            let one_pass = read(&json);
            let map = parse_object(json.as_bytes());
            prop_assert_eq!(one_pass.is_some(), map.is_some(), "{}", json);
            prop_assert!(fast_agrees(json.as_bytes()), "{}", json);
            if let (Some(p), Some(m)) = (one_pass, map) {
                let t = &*p.text;
                let r = &p.registered;
                let s = |name: &str| m.get(name).and_then(serde_json::Value::as_str);
                prop_assert_eq!(r.iss.as_ref().map(|v| v.get(t)), s("iss"));
                prop_assert_eq!(r.sub.as_ref().map(|v| v.get(t)), s("sub"));
                prop_assert_eq!(r.azp.as_ref().map(|v| v.get(t)), s("azp"));
                prop_assert_eq!(r.cnf, m.contains_key("cnf"));
                let jkt = m.get("cnf").and_then(|c| c.get("jkt")).and_then(serde_json::Value::as_str);
                prop_assert_eq!(r.jkt.as_ref().map(|v| v.get(t)), jkt);
                let date = |name: &str| match m.get(name) {
                    None => Date::Absent,
                    Some(v) => crate::claims::numeric_date(v).map_or(Date::Invalid, Date::At),
                };
                prop_assert_eq!(r.exp, date("exp"));
                prop_assert_eq!(r.iat, date("iat"));
                for (name, claim) in [
                    ("jti", &r.proof.jti),
                    ("htm", &r.proof.htm),
                    ("htu", &r.proof.htu),
                    ("ath", &r.proof.ath),
                    ("nonce", &r.proof.nonce),
                ] {
                    prop_assert_eq!(claim.as_ref().map(|v| v.get(t)), s(name), "{}", name);
                }
                let aud: Vec<&str> = r.aud.iter(t).collect();
                let want: Vec<&str> = match m.get("aud") {
                    Some(serde_json::Value::String(s)) => vec![s.as_str()],
                    Some(serde_json::Value::Array(a)) => a.iter().filter_map(serde_json::Value::as_str).collect(),
                    _ => vec![],
                };
                prop_assert_eq!(aud, want);
            }
        }
    }
}
