//! The JSON form of an `Observation` field: its name (`OBSERVATION_KNOWN`), so that a working set
//! shown in the Temporal UI through the codec reads as words, not numbers. Reading accepts the
//! name or the number; an unknown number is written as a number.

use serde::{Deserialize, Deserializer, Serializer};

use crate::v1::Observation;

pub fn serialize<S: Serializer>(value: &i32, s: S) -> Result<S::Ok, S::Error> {
    match Observation::try_from(*value) {
        Ok(o) => s.serialize_str(o.as_str_name()),
        Err(_) => s.serialize_i32(*value),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrNumber {
        Name(String),
        Number(i32),
    }
    match NameOrNumber::deserialize(d)? {
        NameOrNumber::Number(n) => Ok(n),
        NameOrNumber::Name(name) => Observation::from_str_name(&name)
            .map(|o| o as i32)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown observation {name:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::v1::{FunctionActivity, Observation};

    #[test]
    fn observations_read_as_names_and_round_trip() {
        let a = FunctionActivity { observation: Observation::Failed as i32, error: "throttled".into(), ..Default::default() };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["observation"], "OBSERVATION_FAILED");
        assert_eq!(serde_json::from_value::<FunctionActivity>(json).unwrap(), a);
        let from_number: FunctionActivity = serde_json::from_str(r#"{"observation": 1}"#).unwrap();
        assert_eq!(from_number.observation, Observation::Known as i32);
        assert!(serde_json::from_str::<FunctionActivity>(r#"{"observation": "SEEN"}"#).is_err());
    }
}
