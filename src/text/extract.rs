//! Match and extract: JSON pointer → regex → `cut` fields.
//!
//! Each step is a filter as well as a transformation: a step that cannot
//! apply (not JSON, no such pointer, regex does not match) means "not the
//! response we wait for", and the caller keeps waiting. Pure functions on
//! bytes; no MQTT types here.

use std::borrow::Cow;

use regex::bytes::Regex;

/// An RFC 6901 JSON pointer, checked at the border.
#[derive(Debug, Clone)]
pub struct JsonPointer(String);

impl JsonPointer {
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.is_empty() && !s.starts_with('/') {
            return Err(format!(
                "JSON pointer {s:?} must be empty or start with '/'"
            ));
        }
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return Err(format!(
                    "JSON pointer {s:?}: '~' must be followed by 0 or 1"
                ));
            }
        }
        Ok(JsonPointer(s.to_string()))
    }

    /// The value at the pointer: a string raw, anything else compact JSON.
    pub fn apply(&self, input: &[u8]) -> Option<Vec<u8>> {
        let doc: serde_json::Value = serde_json::from_slice(input).ok()?;
        match doc.pointer(&self.0)? {
            serde_json::Value::String(s) => Some(s.clone().into_bytes()),
            other => serde_json::to_vec(other).ok(),
        }
    }
}

/// A `cut -f` list: `N`, `N-`, `N-M`, `-M`, comma separated, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldList(Vec<(usize, usize)>);

impl FieldList {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| Err(format!("field list {s:?}: {why}"));
        let mut ranges = Vec::new();
        for item in s.split(',') {
            let item = item.trim();
            let number = |n: &str| -> Result<usize, String> {
                match n.parse::<usize>() {
                    Ok(0) => Err(format!("field list {s:?}: fields are numbered from 1")),
                    Ok(v) => Ok(v),
                    Err(_) => Err(format!("field list {s:?}: {n:?} is not a field number")),
                }
            };
            let range = match item.split_once('-') {
                None if item.is_empty() => return bad("empty field"),
                None => {
                    let n = number(item)?;
                    (n, n)
                }
                Some(("", "")) => return bad("'-' needs a number on at least one side"),
                Some(("", hi)) => (1, number(hi)?),
                Some((lo, "")) => (number(lo)?, usize::MAX),
                Some((lo, hi)) => (number(lo)?, number(hi)?),
            };
            if range.0 > range.1 {
                return bad("decreasing range");
            }
            ranges.push(range);
        }
        Ok(FieldList(ranges))
    }

    fn contains(&self, field: usize) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= field && field <= hi)
    }

    /// Cuts each line separately, as `cut -f LIST -d DELIM` does; a line
    /// without the delimiter passes whole.
    pub fn apply(&self, input: &[u8], delimiter: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        for (i, line) in input.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let fields = split_bytes(line, delimiter);
            if fields.len() == 1 {
                out.extend_from_slice(line);
                continue;
            }
            let mut first = true;
            for (n, field) in fields.into_iter().enumerate() {
                if self.contains(n + 1) {
                    if !first {
                        out.extend_from_slice(delimiter);
                    }
                    out.extend_from_slice(field);
                    first = false;
                }
            }
        }
        out
    }
}

fn split_bytes<'a>(mut s: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    if delimiter.is_empty() {
        // Nothing to split on (the CLI refuses an empty -d; this keeps the
        // library total).
        return vec![s];
    }
    while let Some(at) = s.windows(delimiter.len()).position(|w| w == delimiter) {
        parts.push(&s[..at]);
        s = &s[at + delimiter.len()..];
    }
    parts.push(s);
    parts
}

/// The checked extraction steps of one request.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    pub json: Option<JsonPointer>,
    pub regex: Option<Regex>,
    pub fields: Option<(FieldList, Vec<u8>)>,
}

impl Extractor {
    /// The output for a payload, or `None` when it is not a match.
    pub fn apply<'a>(&self, payload: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        let mut data = Cow::Borrowed(payload);
        if let Some(pointer) = &self.json {
            data = Cow::Owned(pointer.apply(&data)?);
        }
        if let Some(re) = &self.regex {
            let caps = re.captures(&data)?;
            let m = if caps.len() > 1 {
                caps.get(1)
            } else {
                caps.get(0)
            };
            data = Cow::Owned(m.map(|m| m.as_bytes().to_vec()).unwrap_or_default());
        }
        if let Some((list, delimiter)) = &self.fields {
            data = Cow::Owned(list.apply(&data, delimiter));
        }
        Some(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &str, input: &str) -> String {
        let l = FieldList::parse(list).unwrap();
        String::from_utf8(l.apply(input.as_bytes(), b",")).unwrap()
    }

    #[test]
    fn field_lists_follow_cut() {
        assert_eq!(fields("2-", "71,abc.def,ghi"), "abc.def,ghi");
        assert_eq!(fields("2", "a,b,c"), "b");
        assert_eq!(fields("-2", "a,b,c"), "a,b");
        assert_eq!(fields("3,1", "a,b,c"), "a,c");
        assert_eq!(fields("1,1-2", "a,b,c"), "a,b");
        assert_eq!(fields("5", "a,b,c"), "");
        assert_eq!(fields("2", "no delimiter"), "no delimiter");
        assert_eq!(fields("2", "a,b\nc,d\n"), "b\nd\n");
    }

    #[test]
    fn multi_byte_delimiter() {
        let l = FieldList::parse("2").unwrap();
        assert_eq!(l.apply(b"a::b::c", b"::"), b"b");
    }

    #[test]
    fn bad_field_lists_are_rejected() {
        for bad in ["", "0", "a", "3-1", "-", "1,,2", "1-2-3", "0-"] {
            assert!(FieldList::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn json_pointer_prints_strings_raw_and_the_rest_compact() {
        let p = JsonPointer::parse("/data/0/value").unwrap();
        assert_eq!(p.apply(br#"{"data":[{"value":"x y"}]}"#).unwrap(), b"x y");
        let p = JsonPointer::parse("/a").unwrap();
        assert_eq!(
            p.apply(br#"{"a": {"b": [1, 2]}}"#).unwrap(),
            br#"{"b":[1,2]}"#
        );
        assert_eq!(p.apply(br#"{"b":1}"#), None);
        assert_eq!(p.apply(b"not json"), None);
        let p = JsonPointer::parse("/a~1b").unwrap();
        assert_eq!(p.apply(br#"{"a/b":3}"#).unwrap(), b"3");
    }

    #[test]
    fn bad_pointers_are_rejected() {
        for bad in ["a", "/a~", "/a~2"] {
            assert!(JsonPointer::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn steps_run_in_order_and_filter() {
        let x = Extractor {
            json: Some(JsonPointer::parse("/msg").unwrap()),
            regex: Some(Regex::new(r"^71,(.*)$").unwrap()),
            fields: Some((FieldList::parse("2").unwrap(), b".".to_vec())),
        };
        assert_eq!(x.apply(br#"{"msg":"71,h.p.s"}"#).unwrap().as_ref(), b"p");
        assert!(x.apply(br#"{"msg":"41,h.p.s"}"#).is_none());
        assert!(x.apply(b"71,h.p.s").is_none());
    }

    #[test]
    fn regex_works_on_binary_and_prints_group_one() {
        let x = Extractor {
            regex: Some(Regex::new(r"(?-u)id=(\d+)").unwrap()),
            ..Default::default()
        };
        assert_eq!(x.apply(b"\xff\x00id=42\xfe").unwrap().as_ref(), b"42");
        let whole = Extractor {
            regex: Some(Regex::new(r"\d+").unwrap()),
            ..Default::default()
        };
        assert_eq!(whole.apply(b"ab123c").unwrap().as_ref(), b"123");
    }

    #[test]
    fn no_steps_is_byte_exact() {
        let payload = b"\x00\xff\n raw";
        assert_eq!(
            Extractor::default().apply(payload).unwrap().as_ref(),
            payload
        );
    }
}
