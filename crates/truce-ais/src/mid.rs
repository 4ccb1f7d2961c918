//! Flag states from MMSIs: the Maritime Identification Digits.
//!
//! Design: the MID table is a sorted static array searched by binary search (no allocation, no
//! initialisation at run time). [`classify`] reads the MMSI's structure (ITU-R M.585-9 annex 1) to
//! find where the MID sits: ships `MIDxxxxxx`, groups `0MIDxxxxx`, coast stations `00MIDxxxx`, SAR
//! aircraft `111MIDxxx`, auxiliary craft `98MIDxxxx`, aids to navigation `99MIDxxxx`, handheld VHF
//! `8MIDxxxxx`; AIS-SART, MOB and EPIRB devices (`970`, `972`, `974`) carry no MID and have no flag.

/// What kind of station an MMSI identifies, with its MID where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmsiKind {
    /// A ship station, `MIDxxxxxx`.
    Ship(u16),
    /// A group of ship stations, `0MIDxxxxx`.
    Group(u16),
    /// A coast station, `00MIDxxxx`.
    Coast(u16),
    /// A search and rescue aircraft, `111MIDxxx`.
    SarAircraft(u16),
    /// A craft associated with a parent ship, `98MIDxxxx`.
    Auxiliary(u16),
    /// An aid to navigation, `99MIDxxxx`.
    AidToNavigation(u16),
    /// A handheld VHF transceiver with DSC and GNSS, `8MIDxxxxx`.
    Handheld(u16),
    /// AIS-SART (`970xxyyyy`), man overboard (`972`) or EPIRB-AIS (`974`): no flag.
    Device,
    /// Anything else (out of range, or a structure not assigned).
    Other,
}

impl MmsiKind {
    /// The MID, when the MMSI has one.
    pub fn mid(self) -> Option<u16> {
        match self {
            MmsiKind::Ship(m)
            | MmsiKind::Group(m)
            | MmsiKind::Coast(m)
            | MmsiKind::SarAircraft(m)
            | MmsiKind::Auxiliary(m)
            | MmsiKind::AidToNavigation(m)
            | MmsiKind::Handheld(m) => Some(m),
            MmsiKind::Device | MmsiKind::Other => None,
        }
    }
}

/// Reads an MMSI's structure (ITU-R M.585-9).
pub fn classify(mmsi: u32) -> MmsiKind {
    let mid = |v: u32| (v % 1000) as u16;
    match mmsi {
        0..=9_999_999 => MmsiKind::Coast(mid(mmsi / 10_000)),
        10_000_000..=99_999_999 => MmsiKind::Group(mid(mmsi / 100_000)),
        111_000_000..=111_999_999 => MmsiKind::SarAircraft(mid(mmsi / 1000)),
        200_000_000..=799_999_999 => MmsiKind::Ship(mid(mmsi / 1_000_000)),
        800_000_000..=899_999_999 => MmsiKind::Handheld(mid(mmsi / 100_000)),
        970_000_000..=970_999_999 | 972_000_000..=972_999_999 | 974_000_000..=974_999_999 => MmsiKind::Device,
        980_000_000..=989_999_999 => MmsiKind::Auxiliary(mid(mmsi / 10_000)),
        990_000_000..=999_999_999 => MmsiKind::AidToNavigation(mid(mmsi / 10_000)),
        _ => MmsiKind::Other,
    }
}

/// A flag state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// The Maritime Identification Digits.
    pub mid: u16,
    /// ISO 3166-1 alpha-2 code (for a territory, the territory's own code where it has one).
    pub code: &'static str,
    /// English name as in the ITU table.
    pub name: &'static str,
}

/// The flag of an MID, when allocated.
pub fn flag_of_mid(mid: u16) -> Option<Flag> {
    let i = MIDS.binary_search_by_key(&mid, |&(m, _, _)| m).ok()?;
    let (mid, code, name) = MIDS[i];
    Some(Flag { mid, code, name })
}

/// The flag of an MMSI: its MID looked up after [`classify`]; `None` for devices (SART, MOB,
/// EPIRB), for unassigned structures and for MIDs not allocated.
pub fn flag(mmsi: u32) -> Option<Flag> {
    flag_of_mid(classify(mmsi).mid()?)
}

/// Every allocated MID, sorted: (MID, ISO 3166-1 alpha-2, name).
///
/// Source: ITU, "Table of Maritime Identification Digits (MID)", Appendix 43 to the Radio Regulations,
/// as published by ITU MARS (the Maritime mobile Access and Retrieval System) with ITU-R M.585. Where
/// one MID covers several territories (306: the Dutch Caribbean) the code of the largest is given.
/// Names are the ITU's, shortened; Türkiye is written as the ITU now writes it.
pub const MIDS: &[(u16, &str, &str)] = &[
    (201, "AL", "Albania"),
    (202, "AD", "Andorra"),
    (203, "AT", "Austria"),
    (204, "PT", "Portugal (Azores)"),
    (205, "BE", "Belgium"),
    (206, "BY", "Belarus"),
    (207, "BG", "Bulgaria"),
    (208, "VA", "Vatican City State"),
    (209, "CY", "Cyprus"),
    (210, "CY", "Cyprus"),
    (211, "DE", "Germany"),
    (212, "CY", "Cyprus"),
    (213, "GE", "Georgia"),
    (214, "MD", "Moldova"),
    (215, "MT", "Malta"),
    (216, "AM", "Armenia"),
    (218, "DE", "Germany"),
    (219, "DK", "Denmark"),
    (220, "DK", "Denmark"),
    (224, "ES", "Spain"),
    (225, "ES", "Spain"),
    (226, "FR", "France"),
    (227, "FR", "France"),
    (228, "FR", "France"),
    (229, "MT", "Malta"),
    (230, "FI", "Finland"),
    (231, "FO", "Faroe Islands"),
    (232, "GB", "United Kingdom"),
    (233, "GB", "United Kingdom"),
    (234, "GB", "United Kingdom"),
    (235, "GB", "United Kingdom"),
    (236, "GI", "Gibraltar"),
    (237, "GR", "Greece"),
    (238, "HR", "Croatia"),
    (239, "GR", "Greece"),
    (240, "GR", "Greece"),
    (241, "GR", "Greece"),
    (242, "MA", "Morocco"),
    (243, "HU", "Hungary"),
    (244, "NL", "Netherlands"),
    (245, "NL", "Netherlands"),
    (246, "NL", "Netherlands"),
    (247, "IT", "Italy"),
    (248, "MT", "Malta"),
    (249, "MT", "Malta"),
    (250, "IE", "Ireland"),
    (251, "IS", "Iceland"),
    (252, "LI", "Liechtenstein"),
    (253, "LU", "Luxembourg"),
    (254, "MC", "Monaco"),
    (255, "PT", "Portugal (Madeira)"),
    (256, "MT", "Malta"),
    (257, "NO", "Norway"),
    (258, "NO", "Norway"),
    (259, "NO", "Norway"),
    (261, "PL", "Poland"),
    (262, "ME", "Montenegro"),
    (263, "PT", "Portugal"),
    (264, "RO", "Romania"),
    (265, "SE", "Sweden"),
    (266, "SE", "Sweden"),
    (267, "SK", "Slovakia"),
    (268, "SM", "San Marino"),
    (269, "CH", "Switzerland"),
    (270, "CZ", "Czech Republic"),
    (271, "TR", "Türkiye"),
    (272, "UA", "Ukraine"),
    (273, "RU", "Russian Federation"),
    (274, "MK", "North Macedonia"),
    (275, "LV", "Latvia"),
    (276, "EE", "Estonia"),
    (277, "LT", "Lithuania"),
    (278, "SI", "Slovenia"),
    (279, "RS", "Serbia"),
    (301, "AI", "Anguilla"),
    (303, "US", "United States (Alaska)"),
    (304, "AG", "Antigua and Barbuda"),
    (305, "AG", "Antigua and Barbuda"),
    (306, "CW", "Curaçao, Sint Maarten, Bonaire, Sint Eustatius and Saba (Netherlands)"),
    (307, "AW", "Aruba"),
    (308, "BS", "Bahamas"),
    (309, "BS", "Bahamas"),
    (310, "BM", "Bermuda"),
    (311, "BS", "Bahamas"),
    (312, "BZ", "Belize"),
    (314, "BB", "Barbados"),
    (316, "CA", "Canada"),
    (319, "KY", "Cayman Islands"),
    (321, "CR", "Costa Rica"),
    (323, "CU", "Cuba"),
    (325, "DM", "Dominica"),
    (327, "DO", "Dominican Republic"),
    (329, "GP", "Guadeloupe"),
    (330, "GD", "Grenada"),
    (331, "GL", "Greenland"),
    (332, "GT", "Guatemala"),
    (334, "HN", "Honduras"),
    (336, "HT", "Haiti"),
    (338, "US", "United States"),
    (339, "JM", "Jamaica"),
    (341, "KN", "Saint Kitts and Nevis"),
    (343, "LC", "Saint Lucia"),
    (345, "MX", "Mexico"),
    (347, "MQ", "Martinique"),
    (348, "MS", "Montserrat"),
    (350, "NI", "Nicaragua"),
    (351, "PA", "Panama"),
    (352, "PA", "Panama"),
    (353, "PA", "Panama"),
    (354, "PA", "Panama"),
    (355, "PA", "Panama"),
    (356, "PA", "Panama"),
    (357, "PA", "Panama"),
    (358, "PR", "Puerto Rico"),
    (359, "SV", "El Salvador"),
    (361, "PM", "Saint Pierre and Miquelon"),
    (362, "TT", "Trinidad and Tobago"),
    (364, "TC", "Turks and Caicos Islands"),
    (366, "US", "United States"),
    (367, "US", "United States"),
    (368, "US", "United States"),
    (369, "US", "United States"),
    (370, "PA", "Panama"),
    (371, "PA", "Panama"),
    (372, "PA", "Panama"),
    (373, "PA", "Panama"),
    (374, "PA", "Panama"),
    (375, "VC", "Saint Vincent and the Grenadines"),
    (376, "VC", "Saint Vincent and the Grenadines"),
    (377, "VC", "Saint Vincent and the Grenadines"),
    (378, "VG", "British Virgin Islands"),
    (379, "VI", "United States Virgin Islands"),
    (401, "AF", "Afghanistan"),
    (403, "SA", "Saudi Arabia"),
    (405, "BD", "Bangladesh"),
    (408, "BH", "Bahrain"),
    (410, "BT", "Bhutan"),
    (412, "CN", "China"),
    (413, "CN", "China"),
    (414, "CN", "China"),
    (416, "TW", "Taiwan (Province of China)"),
    (417, "LK", "Sri Lanka"),
    (419, "IN", "India"),
    (422, "IR", "Iran"),
    (423, "AZ", "Azerbaijan"),
    (425, "IQ", "Iraq"),
    (428, "IL", "Israel"),
    (431, "JP", "Japan"),
    (432, "JP", "Japan"),
    (434, "TM", "Turkmenistan"),
    (436, "KZ", "Kazakhstan"),
    (437, "UZ", "Uzbekistan"),
    (438, "JO", "Jordan"),
    (440, "KR", "Korea (Republic of)"),
    (441, "KR", "Korea (Republic of)"),
    (443, "PS", "State of Palestine"),
    (445, "KP", "Democratic People's Republic of Korea"),
    (447, "KW", "Kuwait"),
    (450, "LB", "Lebanon"),
    (451, "KG", "Kyrgyzstan"),
    (453, "MO", "Macao (China)"),
    (455, "MV", "Maldives"),
    (457, "MN", "Mongolia"),
    (459, "NP", "Nepal"),
    (461, "OM", "Oman"),
    (463, "PK", "Pakistan"),
    (466, "QA", "Qatar"),
    (468, "SY", "Syrian Arab Republic"),
    (470, "AE", "United Arab Emirates"),
    (471, "AE", "United Arab Emirates"),
    (472, "TJ", "Tajikistan"),
    (473, "YE", "Yemen"),
    (475, "YE", "Yemen"),
    (477, "HK", "Hong Kong (China)"),
    (478, "BA", "Bosnia and Herzegovina"),
    (501, "TF", "Adelie Land (France)"),
    (503, "AU", "Australia"),
    (506, "MM", "Myanmar"),
    (508, "BN", "Brunei Darussalam"),
    (510, "FM", "Micronesia"),
    (511, "PW", "Palau"),
    (512, "NZ", "New Zealand"),
    (514, "KH", "Cambodia"),
    (515, "KH", "Cambodia"),
    (516, "CX", "Christmas Island (Australia)"),
    (518, "CK", "Cook Islands (New Zealand)"),
    (520, "FJ", "Fiji"),
    (523, "CC", "Cocos (Keeling) Islands (Australia)"),
    (525, "ID", "Indonesia"),
    (529, "KI", "Kiribati"),
    (531, "LA", "Lao People's Democratic Republic"),
    (533, "MY", "Malaysia"),
    (536, "MP", "Northern Mariana Islands (United States)"),
    (538, "MH", "Marshall Islands"),
    (540, "NC", "New Caledonia (France)"),
    (542, "NU", "Niue (New Zealand)"),
    (544, "NR", "Nauru"),
    (546, "PF", "French Polynesia (France)"),
    (548, "PH", "Philippines"),
    (550, "TL", "Timor-Leste"),
    (553, "PG", "Papua New Guinea"),
    (555, "PN", "Pitcairn Island (United Kingdom)"),
    (557, "SB", "Solomon Islands"),
    (559, "AS", "American Samoa (United States)"),
    (561, "WS", "Samoa"),
    (563, "SG", "Singapore"),
    (564, "SG", "Singapore"),
    (565, "SG", "Singapore"),
    (566, "SG", "Singapore"),
    (567, "TH", "Thailand"),
    (570, "TO", "Tonga"),
    (572, "TV", "Tuvalu"),
    (574, "VN", "Viet Nam"),
    (576, "VU", "Vanuatu"),
    (577, "VU", "Vanuatu"),
    (578, "WF", "Wallis and Futuna Islands (France)"),
    (601, "ZA", "South Africa"),
    (603, "AO", "Angola"),
    (605, "DZ", "Algeria"),
    (607, "TF", "Saint Paul and Amsterdam Islands (France)"),
    (608, "SH", "Ascension Island (United Kingdom)"),
    (609, "BI", "Burundi"),
    (610, "BJ", "Benin"),
    (611, "BW", "Botswana"),
    (612, "CF", "Central African Republic"),
    (613, "CM", "Cameroon"),
    (615, "CG", "Congo"),
    (616, "KM", "Comoros"),
    (617, "CV", "Cabo Verde"),
    (618, "TF", "Crozet Archipelago (France)"),
    (619, "CI", "Côte d'Ivoire"),
    (620, "KM", "Comoros"),
    (621, "DJ", "Djibouti"),
    (622, "EG", "Egypt"),
    (624, "ET", "Ethiopia"),
    (625, "ER", "Eritrea"),
    (626, "GA", "Gabon"),
    (627, "GH", "Ghana"),
    (629, "GM", "Gambia"),
    (630, "GW", "Guinea-Bissau"),
    (631, "GQ", "Equatorial Guinea"),
    (632, "GN", "Guinea"),
    (633, "BF", "Burkina Faso"),
    (634, "KE", "Kenya"),
    (635, "TF", "Kerguelen Islands (France)"),
    (636, "LR", "Liberia"),
    (637, "LR", "Liberia"),
    (638, "SS", "South Sudan"),
    (642, "LY", "Libya"),
    (644, "LS", "Lesotho"),
    (645, "MU", "Mauritius"),
    (647, "MG", "Madagascar"),
    (649, "ML", "Mali"),
    (650, "MZ", "Mozambique"),
    (654, "MR", "Mauritania"),
    (655, "MW", "Malawi"),
    (656, "NE", "Niger"),
    (657, "NG", "Nigeria"),
    (659, "NA", "Namibia"),
    (660, "RE", "Reunion (France)"),
    (661, "RW", "Rwanda"),
    (662, "SD", "Sudan"),
    (663, "SN", "Senegal"),
    (664, "SC", "Seychelles"),
    (665, "SH", "Saint Helena (United Kingdom)"),
    (666, "SO", "Somalia"),
    (667, "SL", "Sierra Leone"),
    (668, "ST", "Sao Tome and Principe"),
    (669, "SZ", "Eswatini"),
    (670, "TD", "Chad"),
    (671, "TG", "Togo"),
    (672, "TN", "Tunisia"),
    (674, "TZ", "Tanzania"),
    (675, "UG", "Uganda"),
    (676, "CD", "Democratic Republic of the Congo"),
    (677, "TZ", "Tanzania"),
    (678, "ZM", "Zambia"),
    (679, "ZW", "Zimbabwe"),
    (701, "AR", "Argentina"),
    (710, "BR", "Brazil"),
    (720, "BO", "Bolivia"),
    (725, "CL", "Chile"),
    (730, "CO", "Colombia"),
    (735, "EC", "Ecuador"),
    (740, "FK", "Falkland Islands (United Kingdom)"),
    (745, "GF", "French Guiana (France)"),
    (750, "GY", "Guyana"),
    (755, "PY", "Paraguay"),
    (760, "PE", "Peru"),
    (765, "SR", "Suriname"),
    (770, "UY", "Uruguay"),
    (775, "VE", "Venezuela"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(MIDS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(MIDS.iter().all(|&(m, c, _)| (201..=775).contains(&m) && c.len() == 2));
    }
}
