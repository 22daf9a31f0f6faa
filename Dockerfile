# The Berth image is built without a container engine by scripts/image/build.sh (`npm run image`); see README "The image".
