import Testing

@testable import Typesetting

@Suite("HTMLFragmentParser")
struct HTMLFragmentParserTests {
  private func markup(_ text: String) -> RichText { RichText(markup: text) }

  @Test("headings and paragraphs, entities decoded and re-escaped for Pango")
  func headingsAndParagraphs() {
    let blocks = HTMLFragmentParser.parse(
      "<h3>Forward pass</h3>\n<p>a &amp; b &lt; c &gt; d, &quot;q&quot; &apos;s&apos;</p>")
    #expect(
      blocks == [
        .heading(level: 3, markup("Forward pass")),
        .paragraph(markup("a &amp; b &lt; c &gt; d, &quot;q&quot; &apos;s&apos;")),
      ])
  }

  @Test("sub, sup, b, strong, i, em and code become Pango tags")
  func inlineFormatting() {
    let blocks = HTMLFragmentParser.parse(
      "<p>E<sub>n</sub> = x<sup>2</sup>, <b>b</b> <strong>s</strong> <i>i</i> <em>e</em> "
        + "<code>run &lt;x&gt;</code></p>")
    #expect(
      blocks == [
        .paragraph(
          markup(
            "E<sub>n</sub> = x<sup>2</sup>, <b>b</b> <b>s</b> <i>i</i> <i>e</i> "
              + "<tt>run &lt;x&gt;</tt>"))
      ])
  }

  @Test("class=\"math\": single letters and short indices italic, minus signs before digits")
  func mathematics() {
    let blocks = HTMLFragmentParser.parse(
      "<p class=\"math\">δ<sub>kj</sub> = h(a) − t = -0.5 (identity output)</p>")
    #expect(
      blocks == [
        .paragraph(
          markup(
            "<i>δ</i><sub><i>kj</i></sub> = <i>h</i>(<i>a</i>) − <i>t</i> = \u{2212}0.5 "
              + "(identity output)"))
      ])
  }

  @Test("numeric and named references, non-breaking space, <br> as a line break")
  func entitiesAndBreaks() {
    let blocks = HTMLFragmentParser.parse("<p>&#955; &#x3B1;&nbsp;&part; &bogus;<br>next</p>")
    #expect(blocks == [.paragraph(markup("λ α\u{00A0}∂ &amp;bogus;\nnext"))])
  }

  @Test("white space collapses as in a browser")
  func whitespace() {
    let blocks = HTMLFragmentParser.parse("<p>\n  a \n\t b  <b> c </b> d  </p>")
    #expect(blocks == [.paragraph(markup("a b <b>c</b> d"))])
  }

  @Test("unknown tags keep their text; comments and scripts are dropped")
  func unknownTags() {
    let blocks = HTMLFragmentParser.parse(
      "<p>foo <blink>bar</blink> <x-custom data-a=\"1\">baz</x-custom><!-- gone --></p>"
        + "<script>alert(1)</script><widget>loose text</widget>")
    #expect(blocks == [.paragraph(markup("foo bar baz")), .paragraph(markup("loose text"))])
  }

  @Test("unclosed and stray tags are repaired")
  func malformed() {
    let blocks = HTMLFragmentParser.parse("<p>one<p><b>two</p></i>three")
    #expect(
      blocks == [
        .paragraph(markup("one")), .paragraph(markup("<b>two</b>")), .paragraph(markup("three")),
      ])
  }

  @Test("an answer division becomes a box of blocks")
  func answerBox() {
    let blocks = HTMLFragmentParser.parse(
      "<div class=\"answer\"><p><b>Output.</b> y</p><p>z</p></div><p>after</p>")
    #expect(
      blocks == [
        .box(.answer, [.paragraph(markup("<b>Output.</b> y")), .paragraph(markup("z"))]),
        .paragraph(markup("after")),
      ])
  }

  @Test("ordered and bulleted lists")
  func lists() {
    let blocks = HTMLFragmentParser.parse(
      "<ol><li>first</li><li>second <b>b</b></ol><ul><li>x</ul>")
    #expect(
      blocks == [
        .list(
          ordered: true,
          items: [[.paragraph(markup("first"))], [.paragraph(markup("second <b>b</b>"))]]),
        .list(ordered: false, items: [[.paragraph(markup("x"))]]),
      ])
  }

  @Test("pre keeps white space and escapes")
  func preformatted() {
    let blocks = HTMLFragmentParser.parse("<pre>\nx  &lt; y\n  <b>z</b>\n</pre>")
    #expect(blocks == [.preformatted(markup("x  &lt; y\n  <b>z</b>"))])
  }

  @Test("a table as Plotting's Table.html() writes it: caption, header, alignment per column")
  func table() {
    let html = """
      <table>
      <caption>Gradient &amp; SGD</caption>
      <thead><tr><th>method</th><th style="text-align:right">η</th><th style="text-align:center">c</th></tr></thead>
      <tbody>
      <tr><td>GD</td><td style="text-align:right">0.500</td><td style="text-align:center">x<sub>1</sub></td></tr>
      <tr><td>SGD</td><td style="text-align:right">0.1</td></tr>
      </tbody>
      </table>
      """
    let expected = TableBlock(
      caption: markup("Gradient &amp; SGD"),
      header: [markup("method"), markup("η"), markup("c")],
      rows: [
        [markup("GD"), markup("0.500"), markup("x<sub>1</sub>")], [markup("SGD"), markup("0.1")],
      ],
      alignments: [.left, .right, .center])
    #expect(HTMLFragmentParser.parse(html) == [.table(expected)])
  }

  @Test("a table without thead takes a first row of th cells as its header")
  func tableHeaderInBody() {
    let blocks = HTMLFragmentParser.parse(
      "<table><tr><th>a</th><th align=\"right\">b</th></tr><tr><td>1<td>2</tr></table>")
    let expected = TableBlock(
      header: [markup("a"), markup("b")], rows: [[markup("1"), markup("2")]],
      alignments: [.left, .right])
    #expect(blocks == [.table(expected)])
  }

  @Test("a figure: the image inside a link, its caption; a lone img is a figure too")
  func figures() {
    let blocks = HTMLFragmentParser.parse(
      "<figure><a href=\"r.svg\"><img src=\"r.png\" width=\"700\" alt=\"Regions\"></a>"
        + "<figcaption>Decision <i>regions</i>.</figcaption></figure><p>text <img src=\"b.png\"></p>"
    )
    #expect(
      blocks == [
        .figure(
          FigureBlock(
            source: "r.png", caption: markup("Decision <i>regions</i>."), alternative: "Regions")),
        .paragraph(markup("text")),
        .figure(FigureBlock(source: "b.png")),
      ])
  }

  @Test("plain text of rich text strips tags and decodes entities")
  func plainText() {
    #expect(RichText(markup: "<b>a</b> &amp; x<sub>1</sub>").plainText == "a & x1")
    #expect(RichText(plain: "a < b & c").markup == "a &lt; b &amp; c")
  }
}
