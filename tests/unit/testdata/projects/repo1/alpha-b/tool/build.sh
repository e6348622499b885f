#!/bin/sh
echo building alpha-b/tool
