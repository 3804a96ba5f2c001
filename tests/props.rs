//! Property tests of the pure parts: whatever a user or a broker hands them,
//! the parsers and extractors answer (a value or an error) and never panic.

use proptest::prelude::*;

use mqrr::cli::parse_duration;
use mqrr::text::extract::{Extractor, FieldList, JsonPointer};

/// Strings that look like field lists more often than random text does.
fn field_list_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9,\\- ]{0,16}",
        "[0-9]{1,25}(-[0-9]{0,25})?(,[0-9]{0,3}-?[0-9]{0,3}){0,4}",
        any::<String>(),
    ]
}

/// Payloads: text with delimiters and newlines, JSON-ish text, raw bytes.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-c,:;\n]{0,64}".prop_map(String::into_bytes),
        "[\\[\\]{}\":,0-9a-z ~/\\\\-]{0,64}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

fn json_pointer_like() -> impl Strategy<Value = String> {
    prop_oneof!["(/[a-z0-9~]{0,4}){0,4}", any::<String>()]
}

fn json_document() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z~/]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z0-9~/]{0,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(|v| serde_json::to_vec(&v).unwrap())
}

proptest! {
    // 256 cases keep the file under a few seconds; no regression files in
    // the tree (a failure prints its minimal input).
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn field_lists_parse_or_refuse_and_apply_without_panic(
        list in field_list_like(),
        input in payload(),
        delimiter in proptest::collection::vec(any::<u8>(), 0..4),
    ) {
        if let Ok(fields) = FieldList::parse(&list) {
            let out = fields.apply(&input, &delimiter);
            // cut never invents bytes: one output line per input line.
            prop_assert_eq!(
                out.iter().filter(|&&b| b == b'\n').count(),
                input.iter().filter(|&&b| b == b'\n').count()
            );
        }
    }

    #[test]
    fn a_line_without_the_delimiter_passes_whole(
        list in "[1-9]-?|-[1-9]",
        line in "[a-z ]{0,32}",
    ) {
        let fields = FieldList::parse(&list).unwrap();
        prop_assert_eq!(fields.apply(line.as_bytes(), b","), line.into_bytes());
    }

    #[test]
    fn json_pointers_parse_or_refuse_and_apply_without_panic(
        pointer in json_pointer_like(),
        doc in prop_oneof![json_document(), payload()],
    ) {
        if let Ok(p) = JsonPointer::parse(&pointer) {
            let _ = p.apply(&doc);
        }
    }

    #[test]
    fn the_empty_pointer_selects_the_whole_document(doc in json_document()) {
        let p = JsonPointer::parse("").unwrap();
        let out = p.apply(&doc).expect("valid JSON always matches the empty pointer");
        let whole: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        match whole {
            serde_json::Value::String(s) => prop_assert_eq!(out, s.into_bytes()),
            other => prop_assert_eq!(out, serde_json::to_vec(&other).unwrap()),
        }
    }

    #[test]
    fn extractor_chains_never_panic(
        pointer in proptest::option::of(json_pointer_like()),
        regex in proptest::option::of(prop_oneof![
            Just("^match".to_string()),
            Just("(\\d+)".to_string()),
            Just("a(b)?c".to_string()),
            Just("(?-u)\\xff".to_string()),
            "[a-c().*+?|]{0,8}",
        ]),
        fields in proptest::option::of(field_list_like()),
        delimiter in proptest::collection::vec(any::<u8>(), 0..3),
        input in prop_oneof![json_document(), payload()],
    ) {
        let extractor = Extractor {
            json: pointer.and_then(|p| JsonPointer::parse(&p).ok()),
            regex: regex.and_then(|r| regex::bytes::Regex::new(&r).ok()),
            fields: fields.and_then(|f| FieldList::parse(&f).ok()).map(|f| (f, delimiter)),
        };
        let _ = extractor.apply(&input);
    }

    #[test]
    fn no_steps_means_the_payload_byte_exact(input in payload()) {
        let out = Extractor::default().apply(&input);
        prop_assert_eq!(out.as_deref(), Some(&input[..]));
    }

    #[test]
    fn durations_parse_or_refuse_without_panic(
        s in prop_oneof![
            any::<String>(),
            "[0-9]{0,25}(\\.[0-9]{0,12})?(e[+-]?[0-9]{1,4})?",
            "[0-9]{1,22}(ns|us|ms|s|m|h|d|w|y|min|sec)( ?[0-9]{1,22}(ms|s|m|h))?",
            "-?(NaN|inf|infinity|[0-9.]{1,5})",
        ],
    ) {
        if let Ok(d) = parse_duration(&s) {
            // A duration that parsed is one a deadline can be built from.
            let _ = std::time::Instant::now().checked_add(d);
        }
    }

    #[test]
    fn whole_seconds_are_seconds(n in 0u64..1_000_000) {
        prop_assert_eq!(parse_duration(&n.to_string()), Ok(std::time::Duration::from_secs(n)));
    }
}

/// The CLI refuses `-d ''` before it gets here, but the library function
/// takes any delimiter: with nothing to split on, a line passes whole.
#[test]
fn field_list_apply_with_an_empty_delimiter_passes_lines_whole() {
    let fields = FieldList::parse("2").unwrap();
    assert_eq!(fields.apply(b"a,b\nc", b""), b"a,b\nc");
}
