// The catalog the build-time generator embedded in this binary.
//
// Defined in generated code (build/generated/<variant>/embedded_catalog.cc),
// one definition per feature set; link exactly one schemagate_embedded_*
// library. Parse it with Catalog::Load(EmbeddedCatalogBytes()).
#ifndef SCHEMAGATE_SERVER_CATALOG_EMBEDDED_H_
#define SCHEMAGATE_SERVER_CATALOG_EMBEDDED_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace schemagate::catalog {

// A serialized schemagate.v1.BuildCatalog with static storage duration.
absl::string_view EmbeddedCatalogBytes();

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_EMBEDDED_H_
