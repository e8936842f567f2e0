/// A forgiving HTML tree for the fragments our report emits: tags are matched by name, void
/// elements (`br`, `img`, …) close themselves, a stray end tag is ignored, an unclosed element is
/// closed by its parent's end tag, and `<p>`/`<li>`/`<tr>`/`<td>` close implicitly as in HTML.
/// Comments, `<script>` and `<style>` are dropped; text keeps its entities decoded.
indirect enum HTMLNode: Hashable, Sendable {
  /// Decoded text.
  case text(String)
  /// An element with its lowercased name, attributes and children.
  case element(name: String, attributes: [String: String], children: [HTMLNode])

  /// The element's name, or nil for text.
  var name: String? {
    if case .element(let name, _, _) = self { return name }
    return nil
  }

  /// The element's children (none for text).
  var children: [HTMLNode] {
    if case .element(_, _, let children) = self { return children }
    return []
  }

  /// The attribute's value, or nil.
  func attribute(_ key: String) -> String? {
    if case .element(_, let attributes, _) = self { return attributes[key] }
    return nil
  }

  /// True when the `class` attribute lists `name`.
  func hasClass(_ name: String) -> Bool {
    attribute("class")?.split(separator: " ").contains { $0 == name } ?? false
  }

  /// Every text inside, concatenated.
  var textContent: String {
    switch self {
    case .text(let text): return text
    case .element(_, _, let children): return children.map(\.textContent).joined()
    }
  }

  /// Parses `html` into its top-level nodes; never fails.
  static func parse(_ html: String) -> [HTMLNode] {
    var builder = TreeBuilder()
    var scanner = Scanner(html)
    while let token = scanner.next() { builder.add(token) }
    return builder.finish()
  }
}

/// Elements without content or end tag.
private let voidElements: Set<String> = [
  "br", "img", "hr", "meta", "input", "link", "col", "wbr", "source", "area", "base",
]
/// Elements whose content is skipped entirely.
private let droppedElements: Set<String> = ["script", "style", "template", "noscript"]
/// Block-level starts that end an open `<p>`.
private let paragraphClosers: Set<String> = [
  "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "figure",
  "blockquote", "section", "hr", "dl", "details", "header", "footer", "nav",
]

private enum Token {
  case text(String)
  case start(String, [String: String], selfClosing: Bool)
  case end(String)
}

private struct Scanner {
  let characters: [Character]
  var index = 0

  init(_ html: String) { characters = Array(html) }

  mutating func next() -> Token? {
    guard index < characters.count else { return nil }
    if characters[index] == "<", let token = tag() { return token }
    let start = index
    index += 1
    while index < characters.count, characters[index] != "<" { index += 1 }
    return .text(String(characters[start..<index]))
  }

  /// A tag at `index`, or nil (index unchanged) when `<` does not start one.
  private mutating func tag() -> Token? {
    let start = index
    if matches("<!--") {
      index += 4
      while index < characters.count, !matches("-->") { index += 1 }
      index = min(characters.count, index + 3)
      return .text("")
    }
    index += 1
    var closing = false
    if index < characters.count, characters[index] == "/" {
      closing = true
      index += 1
    }
    if index < characters.count, characters[index] == "!" || characters[index] == "?" {
      while index < characters.count, characters[index] != ">" { index += 1 }
      index = min(characters.count, index + 1)
      return .text("")
    }
    let name = word().lowercased()
    guard !name.isEmpty, name.first?.isLetter == true else {
      index = start
      return nil
    }
    var attributes: [String: String] = [:]
    var selfClosing = false
    while index < characters.count {
      skipSpaces()
      guard index < characters.count else { break }
      if characters[index] == ">" {
        index += 1
        break
      }
      if characters[index] == "/" {
        selfClosing = true
        index += 1
        continue
      }
      let key = word().lowercased()
      if key.isEmpty {
        index += 1
        continue
      }
      skipSpaces()
      var value = ""
      if index < characters.count, characters[index] == "=" {
        index += 1
        skipSpaces()
        value = attributeValue()
      }
      attributes[key] = HTMLEntities.decode(value)
    }
    return closing ? .end(name) : .start(name, attributes, selfClosing: selfClosing)
  }

  private func matches(_ literal: String) -> Bool {
    let literal = Array(literal)
    guard index + literal.count <= characters.count else { return false }
    return Array(characters[index..<index + literal.count]) == literal
  }

  private mutating func skipSpaces() {
    while index < characters.count, characters[index].isWhitespace { index += 1 }
  }

  private mutating func word() -> String {
    let start = index
    while index < characters.count,
      characters[index].isLetter || characters[index].isNumber || "-_:".contains(characters[index])
    {
      index += 1
    }
    return String(characters[start..<index])
  }

  private mutating func attributeValue() -> String {
    guard index < characters.count else { return "" }
    let quote = characters[index]
    if quote == "\"" || quote == "'" {
      index += 1
      let start = index
      while index < characters.count, characters[index] != quote { index += 1 }
      let value = String(characters[start..<min(index, characters.count)])
      index = min(characters.count, index + 1)
      return value
    }
    let start = index
    while index < characters.count, !characters[index].isWhitespace, characters[index] != ">" {
      index += 1
    }
    return String(characters[start..<index])
  }
}

private struct TreeBuilder {
  struct Open {
    var name: String
    var attributes: [String: String]
    var children: [HTMLNode] = []
  }

  var stack = [Open(name: "#root", attributes: [:])]
  var skipping: String?

  mutating func add(_ token: Token) {
    if let skipped = skipping {
      if case .end(let name) = token, name == skipped { skipping = nil }
      return
    }
    switch token {
    case .text(let text):
      if !text.isEmpty { stack[stack.count - 1].children.append(.text(HTMLEntities.decode(text))) }
    case .start(let name, let attributes, let selfClosing):
      if droppedElements.contains(name) {
        if !selfClosing { skipping = name }
        return
      }
      closeImplicitly(before: name)
      if voidElements.contains(name) || selfClosing {
        stack[stack.count - 1].children.append(
          .element(name: name, attributes: attributes, children: []))
      } else {
        stack.append(Open(name: name, attributes: attributes))
      }
    case .end(let name):
      guard let depth = stack.lastIndex(where: { $0.name == name }), depth > 0 else { return }
      while stack.count > depth { pop() }
    }
  }

  /// Closes what HTML closes implicitly when `name` starts.
  private mutating func closeImplicitly(before name: String) {
    if paragraphClosers.contains(name), let depth = openIndex(of: "p", within: ["div", "li", "td"])
    {
      while stack.count > depth { pop() }
    }
    let siblings: [String: (closes: Set<String>, boundary: Set<String>)] = [
      "li": (["li"], ["ul", "ol"]),
      "tr": (["tr", "td", "th"], ["table", "thead", "tbody", "tfoot"]),
      "td": (["td", "th"], ["tr", "table"]),
      "th": (["td", "th"], ["tr", "table"]),
      "thead": (["thead", "tbody", "tr", "td", "th"], ["table"]),
      "tbody": (["thead", "tbody", "tr", "td", "th"], ["table"]),
    ]
    guard let rule = siblings[name] else { return }
    while let top = stack.last, stack.count > 1, rule.closes.contains(top.name),
      !rule.boundary.contains(top.name)
    {
      pop()
    }
  }

  /// The stack index of the innermost open `name`, unless a `boundary` element is inside it.
  private func openIndex(of name: String, within boundary: Set<String>) -> Int? {
    for depth in stride(from: stack.count - 1, to: 0, by: -1) {
      if stack[depth].name == name { return depth }
      if boundary.contains(stack[depth].name) { return nil }
    }
    return nil
  }

  private mutating func pop() {
    let open = stack.removeLast()
    stack[stack.count - 1].children.append(
      .element(name: open.name, attributes: open.attributes, children: open.children))
  }

  mutating func finish() -> [HTMLNode] {
    while stack.count > 1 { pop() }
    return stack[0].children
  }
}
