//! The two tables that end a v3 run's console report: the totals, and
//! the failure list. See [`super`] for their shapes.

use std::collections::HashMap;
use std::ops::Range;

use crate::report::model::{Unreadable, unreadable};

/// One row of the totals table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) executed: u64,
    pub(super) failed: u64,
}

/// The totals table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Totals {
    pub(super) iterations: Row,
    pub(super) requests: Row,
    pub(super) test_scripts: Row,
    pub(super) prerequest_scripts: Row,
    pub(super) assertions: Row,
    /// `| total run duration: 146 ms |`, under the counts.
    pub(super) duration_ms: Option<u64>,
}

pub(super) fn is_totals_header(line: &str) -> bool {
    let cells = table_cells(line);
    cells.len() == 3 && cells[0].is_empty() && cells[1] == "executed" && cells[2] == "failed"
}

/// `|  a |  b |  c |` → `["a", "b", "c"]`; empty for other lines.
fn table_cells(line: &str) -> Vec<&str> {
    match line.strip_prefix('|').and_then(|l| l.strip_suffix('|')) {
        Some(inner) => inner.split('|').map(str::trim).collect(),
        None => Vec::new(),
    }
}

/// Reads the table from its header: the totals, and the index of the
/// first line after the table.
pub(super) fn read_totals(lines: &[&str], header: usize) -> Result<(Totals, usize), Unreadable> {
    let mut rows: HashMap<&str, Row> = HashMap::new();
    let mut duration_ms = None;
    let mut i = header + 1;
    while let Some(line) = lines.get(i) {
        if line.starts_with('-') {
            i += 1;
            continue;
        }
        let cells = table_cells(line);
        if cells.is_empty() {
            break;
        }
        if cells.len() == 3 {
            let (Ok(executed), Ok(failed)) = (cells[1].parse(), cells[2].parse()) else {
                return unreadable(format!("a totals row cannot be read: {line}"));
            };
            if rows.insert(cells[0], Row { executed, failed }).is_some() {
                return unreadable(format!("the totals row `{}` appears twice", cells[0]));
            }
        } else if let [cell] = cells.as_slice()
            && let Some(value) = cell.strip_prefix("total run duration: ")
        {
            duration_ms = super::events::duration_ms(value);
        }
        i += 1;
    }
    let mut row = |label: &str| {
        rows.remove(label)
            .ok_or_else(|| Unreadable(format!("the totals row `{label}` is missing")))
    };
    let totals = Totals {
        iterations: row("iterations")?,
        requests: row("requests")?,
        test_scripts: row("test-scripts")?,
        prerequest_scripts: row("prerequest-scripts")?,
        assertions: row("assertions")?,
        duration_ms,
    };
    Ok((totals, i))
}

/// One entry of the failure list.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) number: u64,
    /// `AssertionError`, `JSONError`, `Error`.
    pub(super) error_name: String,
    /// The test's name (empty for errors), the message, `at …`, `inside
    /// "…"`.
    pub(super) detail: Vec<String>,
}

impl Entry {
    /// The last `inside "…"` line's name.
    pub(super) fn inside(&self) -> Option<&str> {
        self.tail_line("inside \"")
            .and_then(|l| l.strip_prefix("inside \"")?.strip_suffix('"'))
    }
    pub(super) fn at(&self) -> Option<&str> {
        self.tail_line("at ").map(|l| &l[3..])
    }
    fn tail_line(&self, prefix: &str) -> Option<&str> {
        self.detail
            .iter()
            .rev()
            .take(2)
            .find(|l| l.starts_with(prefix))
            .map(String::as_str)
    }
    /// The detail between the test name and the `at`/`inside` lines.
    pub(super) fn message_lines(&self) -> &[String] {
        let mut end = self.detail.len();
        if self.inside().is_some() {
            end -= 1;
        }
        if end > 0 && self.detail[end - 1].starts_with("at ") {
            end -= 1;
        }
        if end <= 1 { &[] } else { &self.detail[1..end] }
    }
}

/// The failure list among `lines`, when there is one: its entries, and
/// the lines it takes.
pub(super) fn read_failure_list(lines: &[&str]) -> Result<(Vec<Entry>, Range<usize>), Unreadable> {
    let Some(start) = lines.iter().position(|l| is_failure_header(l)) else {
        return Ok((Vec::new(), 0..0));
    };
    let header = lines[start];
    let name_col = header.find("failure").unwrap_or(0).saturating_sub(1);
    let detail_col = header.find("detail").unwrap_or(0);
    let mut entries: Vec<Entry> = Vec::new();
    let mut end = start + 1;
    for line in &lines[start + 1..] {
        if !line.is_empty() && !line.starts_with(' ') {
            break; // The table's rows all start with its padding.
        }
        end += 1;
        let chars: Vec<char> = line.chars().collect();
        let cut = |from: usize, to: usize| -> String {
            chars
                .get(from.min(chars.len())..to.min(chars.len()))
                .map(|c| c.iter().collect::<String>())
                .unwrap_or_default()
        };
        let index = cut(0, name_col);
        let index = index.trim();
        let detail = cut(detail_col, chars.len()).trim_end().to_owned();
        if let Some(number) = index.strip_suffix('.').and_then(|n| n.parse().ok())
            && index[..index.len() - 1].bytes().all(|b| b.is_ascii_digit())
        {
            entries.push(Entry {
                number,
                error_name: cut(name_col, detail_col).trim().to_owned(),
                detail: vec![detail],
            });
        } else if !index.is_empty() {
            return unreadable(format!("a failure list line cannot be read: {line}"));
        } else if let Some(entry) = entries.last_mut() {
            entry.detail.push(detail);
        }
    }
    // Blank separator rows between entries.
    for entry in &mut entries {
        while entry.detail.len() > 1 && entry.detail.last().is_some_and(|l| l.is_empty()) {
            entry.detail.pop();
        }
    }
    for (k, entry) in entries.iter().enumerate() {
        if entry.number != k as u64 + 1 {
            return unreadable(format!(
                "failure {} of the failure list is numbered {}",
                k + 1,
                entry.number
            ));
        }
    }
    Ok((entries, start..end))
}

fn is_failure_header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words == ["#", "failure", "detail"] && line.starts_with(' ')
}
