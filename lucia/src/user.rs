//! Users: an id plus the attributes your app declares with `#[derive(AuthUser)]`.
//!
//! The derive maps a struct's fields to columns of the user table at compile time. The id is
//! not one of them: [`User`] carries it beside the attributes, the way Lucia's `User` is
//! `{ userId, ...attributes }`. Adapters store and load attributes through the neutral
//! [`Value`] type, so one derive serves every dialect.

use std::ops::{Deref, DerefMut};

use time::OffsetDateTime;

use crate::error::AttributeError;

/// A user: the id the adapter stores it under and the attributes your app declared.
///
/// `User<U>` dereferences to `U`, so `user.username` reads an attribute directly.
#[derive(Debug, Clone, PartialEq)]
pub struct User<U> {
    /// The user id (case-sensitive; 15 random characters unless you choose it).
    pub id: String,
    /// The attributes, as declared by `#[derive(AuthUser)]`.
    pub attributes: U,
}

impl<U> User<U> {
    /// A user with `id` and `attributes`.
    pub fn new(id: impl Into<String>, attributes: U) -> Self {
        Self {
            id: id.into(),
            attributes,
        }
    }
}

impl<U> Deref for User<U> {
    type Target = U;

    fn deref(&self) -> &U {
        &self.attributes
    }
}

impl<U> DerefMut for User<U> {
    fn deref_mut(&mut self) -> &mut U {
        &mut self.attributes
    }
}

/// The storage type of a user-table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// UTF-8 text (`TEXT`, or `VARCHAR(255)` with a binary collation on MySQL).
    Text,
    /// A 64-bit signed integer (`BIGINT`).
    Integer,
    /// A 64-bit float (`DOUBLE PRECISION` / `REAL` / `DOUBLE`).
    Real,
    /// A boolean (`BOOLEAN`; `INTEGER` 0/1 on SQLite, `TINYINT(1)` on MySQL).
    Bool,
    /// A UTC timestamp, stored as epoch milliseconds in a `BIGINT`.
    Timestamp,
}

impl ColumnType {
    /// A short lowercase name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Real => "real",
            Self::Bool => "bool",
            Self::Timestamp => "timestamp",
        }
    }
}

/// One column of the user table, as the derive declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column name: a plain SQL identifier, checked at compile time.
    pub name: &'static str,
    /// The storage type.
    pub ty: ColumnType,
    /// Whether the column accepts NULL (the field is an `Option`).
    pub nullable: bool,
}

/// A dialect-neutral column value: what adapters bind and decode.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL (`None`).
    Null,
    /// Text.
    Text(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Real(f64),
    /// A boolean.
    Bool(bool),
    /// A UTC timestamp.
    Timestamp(OffsetDateTime),
}

impl Value {
    /// A short lowercase name of the value's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Text(_) => "text",
            Self::Integer(_) => "integer",
            Self::Real(_) => "real",
            Self::Bool(_) => "bool",
            Self::Timestamp(_) => "timestamp",
        }
    }
}

/// A field type that adapters can store in one column.
///
/// Implemented for `String`, the integer types up to `i64` (and `u32`), `f32`, `f64`,
/// `bool`, [`time::OffsetDateTime`] and `Option` of any of them. Implement it for your own
/// type (an enum stored as text, say) to use it as a field:
///
/// ```
/// use lucia::user::{AttributeValue, ColumnType, Value};
/// use lucia::AttributeError;
///
/// #[derive(Clone)]
/// enum Role { Admin, Member }
///
/// impl AttributeValue for Role {
///     const COLUMN_TYPE: ColumnType = ColumnType::Text;
///
///     fn to_value(&self) -> Value {
///         Value::Text(match self { Role::Admin => "admin", Role::Member => "member" }.into())
///     }
///
///     fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
///         match value {
///             Value::Text(text) if text == "admin" => Ok(Role::Admin),
///             Value::Text(text) if text == "member" => Ok(Role::Member),
///             _ => Err(AttributeError::Custom { column, message: "unknown role".into() }),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a user column: implement `lucia::AttributeValue`",
    label = "not storable in a user column",
    note = "columns hold `String`, integers up to `i64`, `f32`, `f64`, `bool`, \
            `time::OffsetDateTime`, an `Option` of one of these, or a type that implements \
            `lucia::AttributeValue`"
)]
pub trait AttributeValue: Sized {
    /// The column type this field is stored as.
    const COLUMN_TYPE: ColumnType;
    /// Whether the column is nullable (true only for `Option`).
    const NULLABLE: bool = false;

    /// Encodes the field for storage.
    fn to_value(&self) -> Value;

    /// Decodes the field from a stored value.
    ///
    /// # Errors
    /// [`AttributeError`] when the value has the wrong kind or is out of range.
    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError>;
}

fn mismatch(column: &'static str, expected: ColumnType, found: &Value) -> AttributeError {
    AttributeError::TypeMismatch {
        column,
        expected: expected.name(),
        found: found.kind(),
    }
}

impl AttributeValue for String {
    const COLUMN_TYPE: ColumnType = ColumnType::Text;

    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }

    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Text(text) => Ok(text),
            other => Err(mismatch(column, Self::COLUMN_TYPE, &other)),
        }
    }
}

macro_rules! integer_attribute {
    ($($ty:ty),*) => {$(
        impl AttributeValue for $ty {
            const COLUMN_TYPE: ColumnType = ColumnType::Integer;

            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }

            fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
                match value {
                    Value::Integer(int) => {
                        <$ty>::try_from(int).map_err(|_| AttributeError::OutOfRange { column })
                    }
                    other => Err(mismatch(column, Self::COLUMN_TYPE, &other)),
                }
            }
        }
    )*};
}

integer_attribute!(i8, i16, i32, i64, u8, u16, u32);

impl AttributeValue for f64 {
    const COLUMN_TYPE: ColumnType = ColumnType::Real;

    fn to_value(&self) -> Value {
        Value::Real(*self)
    }

    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Real(real) => Ok(real),
            other => Err(mismatch(column, Self::COLUMN_TYPE, &other)),
        }
    }
}

impl AttributeValue for f32 {
    const COLUMN_TYPE: ColumnType = ColumnType::Real;

    fn to_value(&self) -> Value {
        Value::Real(f64::from(*self))
    }

    #[allow(clippy::cast_possible_truncation)] // f32 fields were stored from f32 values
    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Real(real) => Ok(real as f32),
            other => Err(mismatch(column, Self::COLUMN_TYPE, &other)),
        }
    }
}

impl AttributeValue for bool {
    const COLUMN_TYPE: ColumnType = ColumnType::Bool;

    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }

    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Bool(flag) => Ok(flag),
            Value::Integer(0) => Ok(false),
            Value::Integer(1) => Ok(true),
            other => Err(mismatch(column, Self::COLUMN_TYPE, &other)),
        }
    }
}

impl AttributeValue for OffsetDateTime {
    const COLUMN_TYPE: ColumnType = ColumnType::Timestamp;

    fn to_value(&self) -> Value {
        Value::Timestamp(*self)
    }

    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Timestamp(at) => Ok(at),
            Value::Integer(millis) => Ok(crate::clock::from_millis(millis)),
            other => Err(mismatch(column, Self::COLUMN_TYPE, &other)),
        }
    }
}

impl<T: AttributeValue> AttributeValue for Option<T> {
    const COLUMN_TYPE: ColumnType = T::COLUMN_TYPE;
    const NULLABLE: bool = true;

    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }

    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(column, other).map(Some),
        }
    }
}

/// A struct that maps to the user table: implement it with `#[derive(AuthUser)]`.
///
/// The derive fills every item from the struct's fields; writing it by hand is possible but
/// the derive also checks column names at compile time.
pub trait UserAttributes: Clone + Send + Sync + 'static {
    /// The user table's name (`auth_user` unless `#[auth(table = "...")]` says otherwise).
    const TABLE: &'static str;
    /// The attribute columns in field order; the `id` column is not among them.
    const COLUMNS: &'static [Column];

    /// Encodes the fields, in [`Self::COLUMNS`] order.
    fn to_values(&self) -> Vec<Value>;

    /// Decodes the fields from values in [`Self::COLUMNS`] order.
    ///
    /// # Errors
    /// [`AttributeError`] when a value is missing or does not fit its field.
    fn from_values(values: Vec<Value>) -> Result<Self, AttributeError>;
}

/// No attributes: a user that is only an id. Stores nothing besides the `id` column.
impl UserAttributes for () {
    const TABLE: &'static str = "auth_user";
    const COLUMNS: &'static [Column] = &[];

    fn to_values(&self) -> Vec<Value> {
        Vec::new()
    }

    fn from_values(_values: Vec<Value>) -> Result<Self, AttributeError> {
        Ok(())
    }
}

/// The next value of a row for `#[derive(AuthUser)]`, or [`AttributeError::Missing`] when
/// the row ran out of values.
#[doc(hidden)]
pub fn next_value(
    values: &mut std::vec::IntoIter<Value>,
    column: &'static str,
) -> Result<Value, AttributeError> {
    values.next().ok_or(AttributeError::Missing { column })
}
