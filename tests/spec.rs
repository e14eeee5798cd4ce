//! `PROTOCOL.md` is the protocol's specification, and it must stay in step
//! with the code: every [`Rule`] in [`Rule::ALL`] has its own section (an
//! anchor `rule-N` right above a heading `### Rule N: …`, under the group of
//! its fact-sheet section) and one row in the mode table naming its constant;
//! every `rule-N` anchor is a rule of `Rule::ALL`. The fact sheet's rules
//! that a host cannot observe use the anchor prefix `fact-N` instead, and
//! only inside the section "Rules a host cannot observe".
//!
//! The constants' names are read from the `rules!` table in `src/` (a
//! [`Rule`] does not know its own name), so the test needs no edit when a
//! rule is added; the document does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syncmgr::{Mode, Rule};

const SPEC: &str = include_str!("../PROTOCOL.md");

/// The heading of the section whose rules no host observes.
const UNOBSERVABLE: &str = "## Rules a host cannot observe";

/// One `<a id="…"></a>` anchor.
#[derive(Debug)]
struct Anchor {
    id: String,
    /// Its line, from 0.
    line: usize,
}

fn lines() -> Vec<&'static str> {
    SPEC.lines().collect()
}

/// Every anchor in the document, in order.
fn anchors() -> Vec<Anchor> {
    const OPEN: &str = "<a id=\"";
    const CLOSE: &str = "\"></a>";
    let mut found = Vec::new();
    for (line, text) in lines().into_iter().enumerate() {
        let mut rest = text;
        while let Some(start) = rest.find(OPEN) {
            let after = &rest[start + OPEN.len()..];
            let end = after
                .find(CLOSE)
                .unwrap_or_else(|| panic!("line {}: an anchor without `\"></a>`", line + 1));
            found.push(Anchor {
                id: after[..end].to_owned(),
                line,
            });
            rest = &after[end + CLOSE.len()..];
        }
    }
    found
}

/// The number of an anchor id `{prefix}-N`, if it has that form.
fn numbered(id: &str, prefix: &str) -> Option<u8> {
    let number = id.strip_prefix(prefix)?.strip_prefix('-')?;
    Some(
        number
            .parse()
            .unwrap_or_else(|_| panic!("anchor `{id}`: `{number}` is not a rule number")),
    )
}

/// The lines of the section "Rules a host cannot observe": from its heading
/// to the next `## ` heading.
fn unobservable_lines() -> std::ops::Range<usize> {
    let lines = lines();
    let start = lines
        .iter()
        .position(|l| l.trim_end() == UNOBSERVABLE)
        .unwrap_or_else(|| panic!("PROTOCOL.md has no `{UNOBSERVABLE}` section"));
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |offset| start + 1 + offset);
    start..end
}

/// The rule numbers of `Rule::ALL`.
fn rule_numbers() -> BTreeSet<u8> {
    Rule::ALL.iter().map(|r| r.number()).collect()
}

/// The `rule-N` anchors by number, with their lines; each at most once.
fn rule_anchors() -> BTreeMap<u8, usize> {
    let mut by_number = BTreeMap::new();
    for anchor in anchors() {
        if let Some(number) = numbered(&anchor.id, "rule")
            && let Some(first) = by_number.insert(number, anchor.line)
        {
            panic!(
                "anchor rule-{number} appears twice (lines {} and {})",
                first + 1,
                anchor.line + 1
            );
        }
    }
    by_number
}

/// The `rules!` table in `src/`: each constant's number and name, from the
/// lines `NAME = N, "G.x", "summary";`.
fn rule_names_from_source() -> BTreeMap<u8, String> {
    fn visit(dir: &Path, names: &mut BTreeMap<u8, String>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                visit(&path, names);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                for line in text.lines() {
                    if let Some((number, name)) = rule_line(line) {
                        names.insert(number, name.to_owned());
                    }
                }
            }
        }
    }
    let mut names = BTreeMap::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    names
}

/// `NAME = N, "G.x", …` → `(N, NAME)`.
fn rule_line(line: &str) -> Option<(u8, &str)> {
    let (name, rest) = line.trim().split_once(" = ")?;
    let (number, _) = rest.split_once(", \"G.")?;
    let is_const = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !is_const {
        return None;
    }
    Some((number.parse().ok()?, name))
}

/// Split a Markdown table row into its trimmed cells.
fn cells(row: &str) -> Vec<&str> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(str::trim).collect()
}

/// The mode table's rows: (rule number, constant name, generation, strict,
/// lenient), in document order.
fn mode_table() -> Vec<(u8, String, String, String, String)> {
    let lines = lines();
    let anchor = lines
        .iter()
        .position(|l| l.trim_end() == "<a id=\"mode-table\"></a>")
        .expect("PROTOCOL.md has the anchor `<a id=\"mode-table\"></a>`");
    assert_eq!(
        lines.get(anchor + 1).map(|l| l.trim_end()),
        Some("## Mode table"),
        "the mode-table anchor sits right above `## Mode table`"
    );
    let table: Vec<&str> = lines[anchor + 2..]
        .iter()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .copied()
        .collect();
    assert!(table.len() > 2, "the mode table has a header and rows");
    assert_eq!(
        cells(table[0]),
        [
            "rule",
            "name",
            "generation",
            "strict host answers",
            "lenient host answers"
        ],
        "the mode table's columns"
    );
    table[2..]
        .iter()
        .map(|row| {
            let cells = cells(row);
            assert_eq!(cells.len(), 5, "a mode-table row has five cells: {row}");
            let number = cells[0]
                .strip_prefix("[#")
                .and_then(|r| r.split_once("](#rule-"))
                .and_then(|(shown, rest)| Some((shown, rest.strip_suffix(')')?)))
                .filter(|(shown, target)| shown == target)
                .and_then(|(shown, _)| shown.parse().ok())
                .unwrap_or_else(|| panic!("the first cell is `[#N](#rule-N)`: {row}"));
            let name = cells[1]
                .strip_prefix('`')
                .and_then(|n| n.strip_suffix('`'))
                .unwrap_or_else(|| panic!("the name cell is a `CONST`: {row}"));
            for cell in &cells[2..] {
                assert!(!cell.is_empty(), "no empty cell: {row}");
            }
            (
                number,
                name.to_owned(),
                cells[2].to_owned(),
                cells[3].to_owned(),
                cells[4].to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_rule_has_its_own_section() {
    let lines = lines();
    let anchors = rule_anchors();
    for rule in Rule::ALL {
        let n = rule.number();
        let line = *anchors
            .get(&n)
            .unwrap_or_else(|| panic!("{rule}: PROTOCOL.md has no `<a id=\"rule-{n}\"></a>`"));
        assert_eq!(
            lines[line].trim_end(),
            format!("<a id=\"rule-{n}\"></a>"),
            "{rule}: the anchor stands on a line of its own"
        );
        let heading = lines.get(line + 1).copied().unwrap_or_default();
        assert!(
            heading.starts_with(&format!("### Rule {n}: ")),
            "{rule}: the anchor sits right above `### Rule {n}: …`, not `{heading}`"
        );
        let group = lines[..line]
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("### §"))
            .and_then(|g| g.split_whitespace().next())
            .unwrap_or_else(|| panic!("{rule}: the section stands under a `### §G.x` group"));
        assert_eq!(
            group,
            rule.section(),
            "{rule}: the section stands under its fact-sheet group"
        );
    }
}

#[test]
fn every_rule_anchor_names_a_rule_and_facts_stay_in_their_section() {
    let rules = rule_numbers();
    let unobservable = unobservable_lines();
    let mut facts = BTreeSet::new();
    for anchor in anchors() {
        let line = anchor.line + 1;
        if let Some(n) = numbered(&anchor.id, "rule") {
            assert!(
                rules.contains(&n),
                "line {line}: anchor rule-{n}, but Rule::ALL has no rule #{n} \
                 (a rule a host cannot observe uses `fact-{n}`)"
            );
            assert!(
                !unobservable.contains(&anchor.line),
                "line {line}: anchor rule-{n} inside `{UNOBSERVABLE}`"
            );
        } else if let Some(n) = numbered(&anchor.id, "fact") {
            assert!(
                unobservable.contains(&anchor.line),
                "line {line}: anchor fact-{n} outside `{UNOBSERVABLE}`"
            );
            assert!(
                !rules.contains(&n),
                "line {line}: fact-{n} is rule #{n} of Rule::ALL; give it its own section"
            );
            assert!(
                facts.insert(n),
                "line {line}: anchor fact-{n} appears twice"
            );
        }
    }
    // Together the two kinds cover the fact sheet's rules #1 to #60.
    let covered: BTreeSet<u8> = rules.union(&facts).copied().collect();
    let missing: Vec<u8> = (1..=60).filter(|n| !covered.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "fact-sheet rules with neither a section nor a `fact-N` row: {missing:?}"
    );
}

#[test]
fn the_mode_table_has_one_row_per_rule_naming_its_constant() {
    let rules = rule_numbers();
    let names = rule_names_from_source();
    assert_eq!(
        names.keys().copied().collect::<BTreeSet<_>>(),
        rules,
        "the `rules!` table read from src/ is Rule::ALL"
    );
    let rows = mode_table();
    let mut seen = BTreeSet::new();
    for (number, name, generation, _, _) in &rows {
        assert!(seen.insert(*number), "rule #{number} has two rows");
        assert!(
            rules.contains(number),
            "the mode table has a row for #{number}, which Rule::ALL lacks"
        );
        assert_eq!(
            Some(name),
            names.get(number),
            "the row for #{number} names its constant"
        );
        assert!(
            ["SyncMgr", "Sync Center", "Windows Sync"].contains(&generation.as_str()),
            "#{number}: `{generation}` is not a generation"
        );
    }
    let missing: Vec<u8> = rules.difference(&seen).copied().collect();
    assert!(
        missing.is_empty(),
        "rules without a mode-table row: {missing:?}"
    );
    let order: Vec<u8> = rows.iter().map(|row| row.0).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "the mode table is in rule order");
}

/// The mode table is checked against the code: each row's strict and
/// lenient cells name every code that [`Rule::answers`] lists for that mode
/// (which every host checks each recorded violation against in debug
/// builds), and say "by construction" exactly when the rule is never
/// recorded.
#[test]
fn the_mode_table_states_the_answers_the_hosts_give() {
    let rows = mode_table();
    for rule in Rule::ALL {
        let (_, _, _, strict, lenient) = rows
            .iter()
            .find(|row| row.0 == rule.number())
            .unwrap_or_else(|| panic!("no mode-table row for {rule}"));
        for (mode, cell) in [(Mode::Strict, strict), (Mode::Lenient, lenient)] {
            let answers = rule.answers(mode);
            // "same" repeats the strict cell.
            let cell = if cell.trim() == "same" { strict } else { cell };
            assert_eq!(
                answers.is_empty(),
                cell.trim_start().starts_with("by construction"),
                "{rule} {mode:?}: the cell `{cell}` and Rule::answers {answers:?} disagree on \
                 whether the rule is ever recorded"
            );
            for code in answers.iter().flatten() {
                let name = code.name().expect("every answer code has a name");
                assert!(
                    cell.contains(name),
                    "{rule} {mode:?}: the cell `{cell}` does not name {name}, which the hosts answer"
                );
            }
        }
    }
}

#[test]
fn every_link_inside_the_document_has_its_anchor() {
    let ids: BTreeSet<String> = anchors().into_iter().map(|a| a.id).collect();
    for (line, text) in lines().into_iter().enumerate() {
        for (start, _) in text.match_indices("](#") {
            let target = &text[start + 3..];
            let target = &target[..target.find(')').unwrap_or(target.len())];
            assert!(
                ids.contains(target),
                "line {}: a link to `#{target}`, which has no `<a id>` anchor",
                line + 1
            );
        }
    }
}

#[test]
fn the_rule_line_reader_reads_the_rules_table() {
    assert_eq!(
        rule_line(
            "    NO_NEW_ITEM_AFTER_CANCEL_ALL = 23, \"G.3\", \"after CANCELALL no Progress opens a new item\";"
        ),
        Some((23, "NO_NEW_ITEM_AFTER_CANCEL_ALL"))
    );
    assert_eq!(rule_line("let x = 3, \"G.1\""), None);
    assert_eq!(rule_line("    pub const ALL: &'static [Self] = &[];"), None);
}
