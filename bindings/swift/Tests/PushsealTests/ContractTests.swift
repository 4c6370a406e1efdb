@testable import Pushseal
import XCTest

/// The contract check against the real library: passes as built, typed errors otherwise.
final class ContractTests: XCTestCase {
    func testTheBuiltLibraryMatchesTheseBindings() throws {
        try Pushseal.checkContract()
        XCTAssertEqual(contractVersion(), Pushseal.contractVersion)
        XCTAssertNotNil(libraryVersion().range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression), libraryVersion())
    }

    func testALibraryWithAnotherContractIsATypedMismatch() {
        XCTAssertThrowsError(try Pushseal.checkContract(expected: Pushseal.contractVersion + 1,
                                                        expectedUniffi: Pushseal.uniffiContractVersion)) { error in
            guard case let PushsealSetupError.contractMismatch(expected, found, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, Pushseal.contractVersion + 1)
            XCTAssertEqual(found, Pushseal.contractVersion)
        }
    }

    func testALibraryBuiltWithAnotherUniffiIsATypedMismatch() {
        XCTAssertThrowsError(try Pushseal.checkContract(expected: Pushseal.contractVersion,
                                                        expectedUniffi: Pushseal.uniffiContractVersion - 1)) { error in
            guard case let PushsealSetupError.contractMismatch(_, _, detail) = error else { return XCTFail("\(error)") }
            XCTAssert(detail.contains("uniffi contract"), detail)
        }
    }
}
