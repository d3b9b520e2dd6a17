//! SQL written as text for the backend at hand, its `?` marks numbered for PostgreSQL.

use std::fmt::Display;

use sea_orm::{DbBackend, Statement, Value};

/// SQL being written, with its parameters.
pub(super) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// `text`, each `?` in it bound to the next of `values`.
    pub(super) fn of(
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
    pub(super) fn push(&mut self, text: &str, values: impl IntoIterator<Item = Value>) {
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

    pub(super) fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Parsed ids as a list of SQL string literals: `'…', '…'`. Only for ids the domain parsed (24
/// lowercase hex digits), which hold no quote; see the module documentation of `enrolments` for why
/// literals. An empty list is `NULL` (so `IN (NULL)` matches nothing and `NOT IN` is not used with
/// it).
pub(super) fn id_list<T: Display>(ids: &[T]) -> String {
    if ids.is_empty() {
        return "NULL".to_owned();
    }
    ids.iter()
        .map(|id| {
            let id = id.to_string();
            debug_assert!(id.bytes().all(|byte| byte.is_ascii_hexdigit()));
            format!("'{id}'")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
