import Foundation
import Testing
import AutoRec

@Suite("Titles")
struct TitlesTests {
    @Test("u.item in Latin-1")
    func uItem() throws {
        let dir = try TemporaryDirectory()
        var bytes = Array("1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n2|Caf".utf8)
        bytes += [0xE9] + Array(" Society (1996)|01-Jan-1996||http://y|0|1\r\n".utf8)
        let path = try dir.write("u.item", bytes)
        #expect(try MovieTitles.detectFormat(path) == .pipe)
        let titles = try MovieTitles.read(path)
        #expect(titles == [1: "Toy Story (1995)", 2: "Café Society (1996)"])
    }

    @Test("movies.dat in Latin-1 and in UTF-8")
    func moviesDat() throws {
        let latin1 = Array("1::Toy Story (1995)::Animation|Children's\n3::M".utf8) + [0xFC] + Array("nchen (2005)::Drama\n".utf8)
        #expect(try MovieTitles.parse(latin1, name: "movies.dat") == [1: "Toy Story (1995)", 3: "München (2005)"])
        let utf8 = Array("1::Toy Story (1995)::Animation\n3::München (2005)::Drama\n".utf8)
        #expect(try MovieTitles.parse(utf8, name: "movies.dat") == [1: "Toy Story (1995)", 3: "München (2005)"])
    }

    @Test("movies.csv: header, quoted commas and quotes, BOM, CRLF")
    func moviesCsv() throws {
        let text = "\u{FEFF}movieId,title,genres\r\n1,Toy Story (1995),Adventure\r\n11,\"American President, The (1995)\",Comedy|Drama\r\n"
            + "\r\n12,\"Dracula: Dead and Loving It \"\"Again\"\" (1995)\",Comedy\r\n13,\"Line\nBreak (1995)\",Drama"
        let titles = try MovieTitles.parse(Array(text.utf8), name: "movies.csv")
        #expect(titles == [1: "Toy Story (1995)", 11: "American President, The (1995)",
                           12: "Dracula: Dead and Loving It \"Again\" (1995)", 13: "Line\nBreak (1995)"])
    }

    @Test("title file errors", arguments: [
        ("", DataFileError.Kind.empty, "t: file is empty (no titles)"),
        ("movieId,title,genres\n", .headerOnly, "t: has a header line but no titles"),
        ("1|A\n2\n", .missingFields, "t:2: missing title: expected id and title"),
        ("12\n", .unknownFormat, "t:1: cannot detect the format: expected 'id|title|...' (u.item), 'id::title::genres' (movies.dat) or 'movieId,title,genres' (movies.csv)"),
        ("1|A\nx|B\n", .notANumber, "t:2: item id 'x' is not a non-negative integer"),
        ("1|A\n-1|B\n", .negativeId, "t:2: item id '-1' is negative"),
        ("1,A\n2,\"B\n", .unterminatedQuote, "t:2: quoted field is not closed"),
    ])
    func errors(text: String, kind: DataFileError.Kind, message: String) {
        do {
            _ = try MovieTitles.parse(Array(text.utf8), name: "t")
            Issue.record("no error")
        } catch let error as DataFileError {
            #expect(error.kind == kind)
            #expect(error.description == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("ML-100K u.item: 1682 titles",
          .enabled(if: MovieLens100K.isAvailable, "ML-100K not found at ../shared/data/ml-100k or $TAPEGRAD_DATA; MovieLens may not be redistributed"))
    func movieLens() throws {
        let titles = try MovieTitles.read(MovieLens100K.file("u.item"))
        #expect(titles.count == 1682)
        #expect(titles[1] == "Toy Story (1995)")
    }
}
