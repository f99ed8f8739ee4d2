//! Writing records as a file: CSV with every column in the header, or JSON with one
//! record object per line, values as numbers where the column is numeric.

use crate::transfer::Format;
use crate::transfer::file::{Column, Record};
use crate::transfer::parse::VERSION;
use crate::{Error, Result};

/// `records` as a file in `format`.
pub fn render(format: Format, records: &[Record]) -> Result<String> {
    match format {
        Format::Csv => csv(records),
        Format::Json => Ok(json(records)),
    }
}

fn csv(records: &[Record]) -> Result<String> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(Column::ALL.iter().map(|c| c.name())).map_err(internal)?;
    for record in records {
        writer.write_record(Column::ALL.iter().map(|c| record.get(*c).unwrap_or_default())).map_err(internal)?;
    }
    let bytes = writer.into_inner().map_err(|e| internal(e.into_error()))?;
    String::from_utf8(bytes).map_err(internal)
}

/// Writing to memory fails only on a bug; it is reported like a database failure, logged
/// and never shown.
fn internal(error: impl std::fmt::Display) -> Error {
    Error::Database(sea_orm::DbErr::Custom(format!("writing an OKR file: {error}")))
}

fn json(records: &[Record]) -> String {
    let lines: Vec<String> = records.iter().map(object).collect();
    format!("{{\n  \"version\": {VERSION},\n  \"records\": [\n    {}\n  ]\n}}\n", lines.join(",\n    "))
}

/// One record as a JSON object on one line, its columns in the file's order.
fn object(record: &Record) -> String {
    let fields: Vec<String> = record
        .filled()
        .map(|(column, value)| {
            // A number's text as written (`800000`, not `800000.0`) when it is a JSON number.
            let number = column.numeric() && serde_json::from_str::<serde_json::Number>(value).is_ok();
            let value = if number { value.to_owned() } else { serde_json::Value::from(value).to_string() };
            format!("\"{}\": {value}", column.name())
        })
        .collect();
    format!("{{{}}}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::file::Kind;
    use crate::transfer::parse::parse;

    fn records() -> Vec<Record> {
        let mut team = Record::of(Kind::Team);
        team.set(Column::Team, "Sales, \"EMEA\"");
        let mut reading = Record::of(Kind::CheckIn);
        reading.set(Column::Value, "30.350000700000002");
        reading.set(Column::Note, "line one\nline two");
        vec![team, reading]
    }

    #[test]
    fn what_is_written_reads_back_the_same_in_both_formats() {
        for format in [Format::Csv, Format::Json] {
            let text = render(format, &records()).unwrap();
            let parsed = parse(format, &text);
            assert!(parsed.problems.is_empty(), "{format:?}: {:?}", parsed.problems);
            let values = |r: &[Record]| {
                r.iter().map(|r| r.filled().map(|(c, v)| (c, v.to_owned())).collect()).collect::<Vec<Vec<_>>>()
            };
            assert_eq!(values(&parsed.records), values(&records()), "{format:?}");
        }
        let json = render(Format::Json, &records()).unwrap();
        assert!(json.contains("\"value\": 30.350000700000002"), "numbers stay numbers: {json}");
    }
}
