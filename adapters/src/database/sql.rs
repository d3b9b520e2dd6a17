//! SQL written as text for the backend at hand, its `?` marks numbered (`$1`, `$2`…) for PostgreSQL:
//! for statements sea-query has no builder for (FTS5 matches, `INSERT … SELECT` with computed ids,
//! row locks), shared by every repository that writes them.

use sea_orm::{DbBackend, Statement, Value};

/// SQL being written, with its parameters.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// `text`, each `?` in it bound to the next of `values`.
    pub(crate) fn of(
        backend: DbBackend,
        text: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Self {
        let mut sql = Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        };
        sql.push(text, values);
        sql
    }

    /// Appends `text`, each `?` in it bound to the next of `values` (a `?` without one binds NULL).
    pub(crate) fn push(&mut self, text: &str, values: impl IntoIterator<Item = Value>) {
        let mut values = values.into_iter();
        for (index, part) in text.split('?').enumerate() {
            if index > 0 {
                self.values
                    .push(values.next().unwrap_or(Value::String(None)));
                match self.backend {
                    DbBackend::Postgres => self.text.push_str(&format!("${}", self.values.len())),
                    _ => self.text.push('?'),
                }
            }
            self.text.push_str(part);
        }
    }

    /// Appends `(?, ?, …)` bound to `values`, or `(NULL)` when there are none (an `IN` list that
    /// matches nothing).
    pub(crate) fn push_list(&mut self, values: impl IntoIterator<Item = Value>) {
        self.text.push('(');
        let mut empty = true;
        for value in values {
            self.push(if empty { "?" } else { ", ?" }, [value]);
            empty = false;
        }
        self.text.push_str(if empty { "NULL)" } else { ")" });
    }

    /// Appends `(?, …), (?, …)`, one parenthesised list per row of `rows` (a VALUES list).
    pub(crate) fn push_rows<Row: IntoIterator<Item = Value>>(
        &mut self,
        rows: impl IntoIterator<Item = Row>,
    ) {
        for (index, row) in rows.into_iter().enumerate() {
            if index > 0 {
                self.text.push_str(", ");
            }
            self.push_list(row);
        }
    }

    pub(crate) fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
