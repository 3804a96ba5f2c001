//! Keeps the README's interop claims in line with docs/interop.md, the
//! table `scripts/interop --markdown` writes (issue #18): the README names
//! the brokers the table has, no more and no fewer, and links the table;
//! every cell of the table that is not a plain pass is explained. Both are
//! text in the repository, so this runs without any broker.

use std::collections::BTreeSet;
use std::path::Path;

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The cells of a Markdown table row (`| a | b |` -> ["a", "b"]).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The rows of the Markdown table whose header starts with `first`,
/// header excluded (separator row skipped).
fn table(doc: &str, first: &str) -> Vec<Vec<String>> {
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with(&format!("| {first} |")));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("docs/interop.md has no table starting with '| {first} |'"));
    let mut rows = vec![cells(header)];
    rows.extend(
        lines
            .take_while(|l| l.starts_with('|'))
            .filter(|l| !l.starts_with("|---"))
            .map(cells),
    );
    rows
}

/// The brokers docs/interop.md has results for, from its broker table.
fn doc_brokers(doc: &str) -> Vec<String> {
    table(doc, "broker")
        .into_iter()
        .skip(1)
        .filter_map(|row| row.first().cloned())
        .collect()
}

/// The README's interop row: the line that runs `scripts/interop`.
fn readme_interop(readme: &str) -> String {
    let lines: Vec<&str> = readme
        .lines()
        .filter(|l| l.contains("scripts/interop"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "README.md should mention scripts/interop on exactly one line (its interop row): {lines:?}"
    );
    lines[0].to_string()
}

/// The brokers the README's interop row names: the list after "brokers: ",
/// up to the next ';', split on ", " and " and ".
fn readme_brokers(row: &str) -> BTreeSet<String> {
    let (_, after) = row
        .split_once("brokers: ")
        .expect("README's interop row should list its brokers after 'brokers: '");
    let list = after.split(';').next().unwrap_or_default();
    list.split(", ")
        .flat_map(|part| part.split(" and "))
        .map(|name| name.trim().trim_matches('`').to_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn readme_names_exactly_the_brokers_of_the_interop_table() {
    let (readme, doc) = (read("README.md"), read("docs/interop.md"));
    let in_doc: BTreeSet<String> = doc_brokers(&doc).iter().map(|b| b.to_lowercase()).collect();
    let in_readme = readme_brokers(&readme_interop(&readme));
    assert!(
        !in_doc.is_empty(),
        "docs/interop.md's broker table is empty"
    );
    assert_eq!(
        in_readme, in_doc,
        "README's interop row and docs/interop.md's broker table name different brokers"
    );
}

#[test]
fn readme_links_the_interop_table() {
    let row = readme_interop(&read("README.md"));
    assert!(
        row.contains("](docs/interop.md)"),
        "README's interop row should link docs/interop.md: {row}"
    );
}

#[test]
fn every_cell_of_the_interop_table_that_is_not_a_pass_is_explained() {
    let doc = read("docs/interop.md");
    let brokers = doc_brokers(&doc);
    let scenarios = table(&doc, "scenario");
    let header = &scenarios[0];
    assert_eq!(
        header[1..],
        brokers[..],
        "the scenario table's columns should be the brokers of the broker table, in order"
    );
    assert!(
        scenarios.len() > 1,
        "docs/interop.md's scenario table has no rows"
    );
    let mut unexplained = Vec::new();
    for row in &scenarios[1..] {
        assert_eq!(
            row.len(),
            header.len(),
            "a row with a cell too many or too few: {row:?}"
        );
        let title = &row[0];
        for (broker, status) in brokers.iter().zip(&row[1..]) {
            assert!(
                ["pass", "n/a", "limit", "FAIL"].contains(&status.as_str()),
                "{broker} / {title}: unknown status {status:?}"
            );
            if status == "pass" {
                continue;
            }
            // `scripts/interop --markdown`: "- BROKER / TITLE: STATUS: REASON".
            let prefix = format!("- {broker} / {title}: {status}: ");
            let explained = doc
                .lines()
                .any(|l| l.starts_with(&prefix) && l.len() > prefix.len());
            if !explained {
                unexplained.push(format!("{broker} / {title}: {status}"));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "cells of docs/interop.md without a line saying why: {unexplained:?}"
    );
}
