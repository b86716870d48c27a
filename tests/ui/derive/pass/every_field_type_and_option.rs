use lucia::time::OffsetDateTime;
use lucia::user::{AttributeValue, ColumnType, Value};
use lucia::{AttributeError, AuthUser, UserAttributes};

#[derive(Clone, Debug, PartialEq)]
enum Role {
    Admin,
    Member,
}

impl AttributeValue for Role {
    const COLUMN_TYPE: ColumnType = ColumnType::Text;

    fn to_value(&self) -> Value {
        Value::Text(match self { Role::Admin => "admin", Role::Member => "member" }.into())
    }

    fn from_value(column: &'static str, value: Value) -> Result<Self, AttributeError> {
        match value {
            Value::Text(text) if text == "admin" => Ok(Role::Admin),
            Value::Text(text) if text == "member" => Ok(Role::Member),
            _ => Err(AttributeError::Custom { column, message: "unknown role".into() }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, AuthUser)]
#[auth(table = "app_user", crate = "lucia")]
struct MyUser {
    username: String,
    #[auth(column = "email_address")]
    email: Option<String>,
    r#type: String,
    tiny: i8,
    small: i16,
    medium: i32,
    large: i64,
    byte: u8,
    word: u16,
    double_word: u32,
    ratio: f32,
    score: f64,
    verified: bool,
    joined_at: OffsetDateTime,
    last_login_at: Option<OffsetDateTime>,
    nickname: Option<String>,
    age: Option<i32>,
    role: Role,
    backup_role: Option<Role>,
}

mod renamed {
    // The derive also works through a crate that re-exports lucia under another name.
    pub use lucia as auth_runtime;
}

#[derive(Clone, AuthUser)]
#[auth(crate = "renamed::auth_runtime")]
struct Minimal {
    username: String,
}

fn main() {
    assert_eq!(MyUser::TABLE, "app_user");
    assert_eq!(Minimal::TABLE, "auth_user");
    assert_eq!(MyUser::COLUMNS.len(), 19);
    assert_eq!(MyUser::COLUMNS[1].name, "email_address");
    assert_eq!(MyUser::COLUMNS[2].name, "type");
    assert!(MyUser::COLUMNS[1].nullable);
    assert_eq!(MyUser::COLUMNS[13].ty, ColumnType::Timestamp);
    assert_eq!(MyUser::COLUMNS[18].ty, ColumnType::Text);

    let user = MyUser {
        username: "ada".into(),
        email: None,
        r#type: "person".into(),
        tiny: -1,
        small: 2,
        medium: 3,
        large: 4,
        byte: 5,
        word: 6,
        double_word: 7,
        ratio: 0.5,
        score: 1.25,
        verified: true,
        joined_at: OffsetDateTime::UNIX_EPOCH,
        last_login_at: Some(OffsetDateTime::UNIX_EPOCH),
        nickname: Some("countess".into()),
        age: None,
        role: Role::Admin,
        backup_role: Some(Role::Member),
    };
    let values = user.to_values();
    assert_eq!(values[1], Value::Null);
    assert_eq!(MyUser::from_values(values).unwrap(), user);
    assert!(matches!(
        MyUser::from_values(vec![Value::Text("ada".into())]),
        Err(AttributeError::Missing { column: "email_address" })
    ));
}
