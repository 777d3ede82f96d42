/**
 * @hearth/client-sdk: Hearth's client library. It arrives with its own issue; it will import only the
 * pure parts of @hearth/federation (identifiers, events, errors, API descriptors).
 */
export {};
