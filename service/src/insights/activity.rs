//! ACTIVITY_KEY_RESULT: a key result that names work to do ("Make 50 calls a week",
//! "Launch the new pricing page") rather than a result to measure. A transparent
//! heuristic over the title and kind, driven by the word lists in `activity.toml` (which
//! organizations extend through the policy); it reports the words it matched and names a
//! result to measure instead. Its precision and recall on the labelled set in
//! `activity_labels.tsv` are printed and checked by a test.

use entity::KeyResultKind;
use std::sync::OnceLock;

/// The word lists; phrases are kept as word sequences.
#[derive(Debug, Clone, Default)]
pub struct Words {
    doing: Vec<Vec<String>>,
    outputs: Vec<Vec<String>>,
    changes: Vec<Vec<String>>,
    measures: Vec<Vec<String>>,
    instead: Vec<(String, String)>,
}

/// Why a key result reads as an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The words of the title that matched, as they appear in it.
    pub matched: Vec<String>,
    /// A result to measure instead.
    pub suggestion: String,
}

impl Words {
    /// The lists shipped with Trellis.
    pub fn builtin() -> &'static Words {
        static BUILTIN: OnceLock<Words> = OnceLock::new();
        BUILTIN.get_or_init(|| Words::parse(include_str!("activity.toml")).unwrap_or_default())
    }

    fn parse(text: &str) -> Option<Words> {
        let document: toml_edit::DocumentMut = text.parse().ok()?;
        let list = |key: &str| -> Option<Vec<Vec<String>>> {
            let array = document.get(key)?.as_array()?;
            Some(array.iter().filter_map(|v| v.as_str()).map(phrase).collect())
        };
        let instead = document
            .get("instead")?
            .as_table()?
            .iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v.as_str()?.to_owned())))
            .collect();
        Some(Words {
            doing: list("doing")?,
            outputs: list("outputs")?,
            changes: list("changes")?,
            measures: list("measures")?,
            instead,
        })
    }

    /// These lists with an organization's own verbs of doing and outputs added.
    pub fn with(&self, doing: &[String], outputs: &[String]) -> Words {
        let mut words = self.clone();
        words.doing.extend(doing.iter().map(|w| phrase(w)));
        words.outputs.extend(outputs.iter().map(|w| phrase(w)));
        words
    }
}

fn phrase(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// A title's words, lower-cased, without the punctuation around them.
fn tokens(title: &str) -> Vec<String> {
    title
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | ':' | '(' | ')' | '"' | '\'' | '!' | '?')))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The length of the first of `phrases` that `words` starts with.
fn starts_with(words: &[String], phrases: &[Vec<String>]) -> Option<usize> {
    phrases.iter().filter(|p| !p.is_empty() && words.starts_with(p)).map(Vec::len).max()
}

/// Where a phrase of `phrases` starts in `words` at or after `from`, and its length.
fn find(words: &[String], phrases: &[Vec<String>], from: usize) -> Option<(usize, usize)> {
    (from..words.len()).find_map(|i| starts_with(&words[i..], phrases).map(|n| (i, n)))
}

const NUMBER_WORDS: [&str; 13] =
    ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty", "dozen"];

/// A count of things: a whole number or a number word. Percentages, amounts of money and
/// decimals are not counts.
fn is_count(word: &str) -> bool {
    let digits = word.replace(',', "");
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())) || NUMBER_WORDS.contains(&word)
}

fn is_number(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
}

/// A counted output: a count followed, within two words, by an output.
fn counted_output(words: &[String], outputs: &[Vec<String>]) -> Option<(usize, usize)> {
    words.iter().enumerate().filter(|(_, w)| is_count(w)).find_map(|(i, _)| {
        (i + 1..=i + 3).filter(|&j| j < words.len()).find_map(|j| {
            let n = starts_with(&words[j..], outputs)?;
            Some((i, j + n - i))
        })
    })
}

/// Whether `title` of a key result of `kind` reads as an activity, and why.
pub fn judge(words: &Words, title: &str, kind: KeyResultKind) -> Option<Verdict> {
    let all = tokens(title);
    let text: &[String] = if all.first().is_some_and(|w| w == "to") { &all[1..] } else { &all };
    let span = |(at, len): (usize, usize)| text[at..at + len].join(" ");
    let matched = if let Some(count) = counted_output(text, &words.outputs) {
        vec![span(count)]
    } else if let (Some(verb), Some((at, _))) =
        (starts_with(text, &words.changes), find(text, &[phrase("number of")], 0))
        && let Some(output) = find(text, &words.outputs, at + 2).filter(|(o, _)| *o <= at + 5)
    {
        vec![span((0, verb)), span(output)]
    } else {
        let verb = starts_with(text, &words.doing)?;
        let share = text.iter().any(|w| w.contains('%'));
        let measured = (share || find(text, &words.measures, verb).is_some()) && text.iter().any(|w| is_number(w));
        if measured && kind != KeyResultKind::Milestone {
            return None;
        }
        vec![span((0, verb))]
    };
    Some(Verdict { suggestion: suggestion(words, &matched, title), matched })
}

fn suggestion(words: &Words, matched: &[String], title: &str) -> String {
    let instead = matched.iter().rev().find_map(|m| {
        words.instead.iter().find(|(key, _)| m == key || m.ends_with(&format!(" {key}"))).map(|(_, v)| v.as_str())
    });
    let result = instead.unwrap_or("the change for customers or the business that the work is for");
    format!(
        "\"{title}\" is work, not a result: keep it as an initiative and measure {result}, from today's value to \
         the one you want"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> KeyResultKind {
        match name {
            "DECREASE" => KeyResultKind::Decrease,
            "MILESTONE" => KeyResultKind::Milestone,
            "MAINTAIN_AT_LEAST" => KeyResultKind::MaintainAtLeast,
            "MAINTAIN_AT_MOST" => KeyResultKind::MaintainAtMost,
            _ => KeyResultKind::Increase,
        }
    }

    #[test]
    fn the_shipped_lists_parse() {
        let words = Words::builtin();
        assert!(words.doing.len() > 50 && words.outputs.len() > 30 && words.changes.len() > 20, "{words:?}");
        assert!(words.measures.len() > 20 && words.instead.len() > 20, "{words:?}");
    }

    #[test]
    fn the_issue_s_examples_read_as_activities_with_the_words_that_matched() {
        let words = Words::builtin();
        let verdict = |title| judge(words, title, KeyResultKind::Increase).map(|v| v.matched);
        assert_eq!(verdict("Create a TV ad and three print ads"), Some(vec!["three print ads".into()]));
        assert_eq!(verdict("Make 50 calls a week"), Some(vec!["50 calls".into()]));
        assert_eq!(verdict("Launch the new pricing page"), Some(vec!["launch".into()]));
        assert_eq!(verdict("Increase conversion from 2% to 3%"), None);
    }

    #[test]
    fn the_suggestion_names_a_result_to_measure() {
        let verdict = judge(Words::builtin(), "Make 50 calls a week", KeyResultKind::Increase).unwrap();
        assert!(verdict.suggestion.contains("meetings booked or deals won"), "{}", verdict.suggestion);
        let verdict = judge(Words::builtin(), "Tidy the wiki", KeyResultKind::Milestone);
        assert_eq!(verdict, None, "no word matched: no verdict");
    }

    #[test]
    fn an_organization_s_own_words_count_too() {
        let words = Words::builtin().with(&["tidy".into()], &["wiki pages".into()]);
        assert!(judge(&words, "Tidy the wiki", KeyResultKind::Milestone).is_some());
        let verdict = judge(&words, "Write 30 wiki pages", KeyResultKind::Increase).unwrap();
        assert_eq!(verdict.matched, vec!["30 wiki pages".to_owned()]);
    }

    #[test]
    fn precision_and_recall_on_the_labelled_set_are_at_least_0_85() {
        let words = Words::builtin();
        let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
        let mut wrong = Vec::new();
        let labelled = include_str!("activity_labels.tsv").lines().filter(|l| !l.starts_with('#') && !l.is_empty());
        for line in labelled {
            let [label, kind_name, title] = line.splitn(3, '\t').collect::<Vec<_>>()[..] else {
                panic!("a line of label, kind and title: {line:?}");
            };
            let said = judge(words, title, kind(kind_name)).is_some();
            match (label == "activity", said) {
                (true, true) => tp += 1,
                (false, true) => {
                    fp += 1;
                    wrong.push(format!("result read as activity: {title}"));
                }
                (true, false) => {
                    fn_ += 1;
                    wrong.push(format!("activity missed: {title}"));
                }
                (false, false) => tn += 1,
            }
        }
        let precision = f64::from(tp) / f64::from(tp + fp);
        let recall = f64::from(tp) / f64::from(tp + fn_);
        println!(
            "ACTIVITY_KEY_RESULT on {} labelled key results: precision {precision:.3}, recall {recall:.3} \
             ({tp} activities found, {fp} results taken for activities, {fn_} activities missed, {tn} results passed)",
            tp + fp + fn_ + tn
        );
        for w in &wrong {
            println!("  {w}");
        }
        assert!(tp + fp + fn_ + tn >= 60, "at least 60 labelled key results");
        assert!(precision >= 0.85 && recall >= 0.85, "precision {precision:.3}, recall {recall:.3}: {wrong:#?}");
    }
}
