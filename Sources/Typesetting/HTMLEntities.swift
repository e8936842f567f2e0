/// Decoding of HTML character references: the five XML ones, numeric references and the named
/// ones our report and common mathematics use. Unknown names are kept literally, so nothing is
/// silently lost.
enum HTMLEntities {
  /// Named references beyond the numeric form, by name.
  static let named: [String: String] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
    "thinsp": "\u{2009}", "ensp": "\u{2002}", "emsp": "\u{2003}", "ndash": "–", "mdash": "—",
    "minus": "−", "plusmn": "±", "times": "×", "divide": "÷", "middot": "·", "hellip": "…",
    "le": "≤", "ge": "≥", "ne": "≠", "asymp": "≈", "approx": "≈", "infin": "∞", "sum": "∑",
    "prod": "∏", "part": "∂", "nabla": "∇", "isin": "∈", "rarr": "→", "larr": "←", "harr": "↔",
    "rArr": "⇒", "hArr": "⇔", "deg": "°", "prime": "′", "sup2": "²", "sup3": "³", "frac12": "½",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "Omega": "Ω", "copy": "©", "laquo": "«",
    "raquo": "»", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "bull": "•",
  ]

  /// `text` with every recognised `&name;`, `&#NNN;` and `&#xHHHH;` replaced by its character.
  static func decode(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count)
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      guard character == "&",
        let semicolon = text[index...].prefix(34).firstIndex(of: ";"),
        let decoded = decodedReference(text[text.index(after: index)..<semicolon])
      else {
        result.append(character)
        index = text.index(after: index)
        continue
      }
      result += decoded
      index = text.index(after: semicolon)
    }
    return result
  }

  /// The character for the reference between `&` and `;`, or nil when it is not one.
  private static func decodedReference(_ reference: Substring) -> String? {
    if reference.hasPrefix("#") {
      let digits = reference.dropFirst()
      let value: UInt32?
      if digits.first == "x" || digits.first == "X" {
        value = UInt32(digits.dropFirst(), radix: 16)
      } else {
        value = UInt32(digits, radix: 10)
      }
      guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
      return String(Character(scalar))
    }
    return named[String(reference)]
  }
}
