// The dashboard's files (controller/web/assets), built into the controller (embed_assets.cmake).
#ifndef RELAYGUARD_CONTROLLER_WEB_WEB_ASSETS_H_
#define RELAYGUARD_CONTROLLER_WEB_WEB_ASSETS_H_

#include <string_view>
#include <vector>

namespace relayguard::controller {

struct WebAsset {
  std::string_view path;  // relative to controller/web/assets: "index.html", "js/app.js"
  std::string_view content;
};

// Every asset, by path.
const std::vector<WebAsset>& WebAssets();

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_WEB_WEB_ASSETS_H_
